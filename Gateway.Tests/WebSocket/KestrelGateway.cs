using System.Net.Http.Headers;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.WebSocket;

/// <summary>The real Gateway.Api host (<see cref="GatewayApiFactory"/>) on Kestrel at a loopback port, so HTTP and
/// /v1/ws clients talk to it over real sockets.</summary>
public sealed class KestrelGateway : IAsyncDisposable
{
    public GatewayApiFactory Api { get; }

    public Uri HttpUri { get; }

    public Uri WsUri => new($"ws://{HttpUri.Authority}/v1/ws");

    public KestrelGateway(IRedisStore redis, IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null)
    {
        Api = new GatewayApiFactory(redis, settings, services: services);
        Api.UseKestrel(FreePorts.Next());
        Api.StartServer();
        var address = Api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        HttpUri = new Uri(address.Replace("localhost", "127.0.0.1").Replace("[::]", "127.0.0.1"));
    }

    public HttpClient Http(string key = GatewayApiFactory.KeyA)
    {
        var client = new HttpClient { BaseAddress = HttpUri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A client that has sent connect with <paramref name="key"/> and read its hello-ok.</summary>
    public async Task<WsClient> ConnectAsync(string key = GatewayApiFactory.KeyA)
    {
        var client = await WsClient.OpenAsync(WsUri);
        var hello = await client.CallAsync("connect", new { minProtocol = 1, maxProtocol = 1, auth = new { token = key }, client = new { name = "tests", version = "1" } });
        Assert.True(hello.GetProperty("ok").GetBoolean(), hello.ToString());
        return client;
    }

    public ValueTask DisposeAsync() => Api.DisposeAsync();
}
