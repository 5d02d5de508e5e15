using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Api;
using Gateway.Api.Contracts;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Api;

/// <summary>The real Gateway.Api host (Production environment) on a test's real Redis (a server or a cluster), with two tenants' keys,
/// optional extra settings, and optionally a fake clock replacing TimeProvider.System.</summary>
public sealed class GatewayApiFactory(IRedisStore redis, IReadOnlyDictionary<string, string>? settings = null, FakeTimeProvider? clock = null,
    Action<IServiceCollection>? services = null)
    : WebApplicationFactory<ApiEntryPoint>
{
    public const string KeyA = "test-key-tenant-a-5f1c9e", KeyB = "test-key-tenant-b-83d0aa";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    public IRedisStore Redis => redis;

    public RunRegistry Registry => Services.GetRequiredService<RunRegistry>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("ConnectionStrings:redis", redis.ConnectionString);
        builder.UseSetting("Gateway:ApiKeys:0:Key", KeyA);
        builder.UseSetting("Gateway:ApiKeys:0:Tenant", "tenant-a");
        builder.UseSetting("Gateway:ApiKeys:1:Key", KeyB);
        builder.UseSetting("Gateway:ApiKeys:1:Tenant", "tenant-b");
        builder.UseSetting("Gateway:SsePollInterval", "00:00:00.050");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        builder.ConfigureTestServices(collection =>
        {
            if (clock is not null) collection.AddSingleton<TimeProvider>(clock);
            services?.Invoke(collection);
        });
    }

    public HttpClient ClientFor(string? key = KeyA)
    {
        var client = CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}

public static class ApiCalls
{
    public static async Task<RunResponse> SpawnAsync(this HttpClient client, string session = "agent:main", string mode = "run",
        string? idempotencyKey = null, string task = "summarize the logs")
    {
        var response = await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = session, task, spawnMode = mode, idempotencyKey });
        Assert.True(response.IsSuccessStatusCode, $"spawn: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<RunResponse>(GatewayApiFactory.Json))!;
    }

    public static Task<HttpResponseMessage> EventAsync(this HttpClient client, string runId, object body) =>
        client.PostAsJsonAsync($"/v1/runs/{runId}/events", body);

    public static async Task AcceptedAsync(this HttpClient client, string runId, object body)
    {
        var response = await client.EventAsync(runId, body);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"event: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<RunResponse> RunAsync(this HttpClient client, string runId) =>
        (await client.GetFromJsonAsync<RunResponse>($"/v1/runs/{runId}", GatewayApiFactory.Json))!;

    /// <summary>Asserts the response is ProblemDetails with this status, and returns it.</summary>
    public static async Task<ProblemDetails> ProblemAsync(this HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<ProblemDetails>(body, GatewayApiFactory.Json)!;
        Assert.Equal(status, problem.Status);
        return problem;
    }
}
