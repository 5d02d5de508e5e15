using System.Net.WebSockets;
using System.Text;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.WebSocket;

/// <summary>The framing's refusals: a bad token, a request before connect, malformed and oversized frames,
/// an unknown method — each answered with its code, and the connection kept or closed as docs/websocket.md says.</summary>
public sealed class WsProtocolTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Theory]
    [InlineData("not-a-key")]
    [InlineData("")]
    public async Task A_bad_token_is_refused_unauthorized_and_the_socket_closes_with_4401(string token)
    {
        await using var gateway = new KestrelGateway(redis);
        await using var client = await WsClient.OpenAsync(gateway.WsUri);

        var error = await client.ErrorAsync("connect", new { minProtocol = 1, maxProtocol = 1, auth = new { token } }, "unauthorized");

        Assert.Contains("API key", error.GetProperty("message").GetString());
        Assert.Empty(await client.ReadUntilClosedAsync());
        Assert.Equal(4401, (int)client.CloseStatus!);
    }

    [Fact]
    public async Task A_protocol_range_without_1_is_refused_and_closed_with_1002()
    {
        await using var gateway = new KestrelGateway(redis);
        await using var client = await WsClient.OpenAsync(gateway.WsUri);

        await client.ErrorAsync("connect", new { minProtocol = 2, maxProtocol = 3, auth = new { token = GatewayApiFactory.KeyA } }, "unsupported_protocol");

        await client.ReadUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.ProtocolError, client.CloseStatus);
    }

    [Fact]
    public async Task A_request_before_connect_is_answered_not_connected_and_the_socket_closes()
    {
        await using var gateway = new KestrelGateway(redis);
        var keys = await redis.KeyCountAsync();
        await using var client = await WsClient.OpenAsync(gateway.WsUri);

        await client.ErrorAsync("runs.spawn", new { requesterSessionKey = "agent:early", task = "t" }, "not_connected");

        await client.ReadUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal(keys, await redis.KeyCountAsync());
    }

    [Fact]
    public async Task Malformed_frames_are_answered_invalid_frame_and_the_connection_stays_open()
    {
        await using var gateway = new KestrelGateway(redis);
        await using var client = await gateway.ConnectAsync();

        string[] malformed =
        [
            "this is not json",
            "[1,2,3]",
            "{\"type\":\"req\",\"method\":\"runs.get\",\"params\":{}}",
            "{\"type\":\"req\",\"id\":\"x1\",\"params\":{}}",
            "{\"type\":\"event\",\"id\":\"x2\",\"method\":\"runs.get\"}",
            "{\"type\":\"req\",\"id\":\"x3\",\"method\":\"runs.get\"",
            "{\"type\":\"req\",\"id\":\"x4\",\"method\":\"runs.get\"} trailing",
            $"{{\"type\":\"req\",\"id\":\"{new string('i', 101)}\",\"method\":\"runs.get\"}}",
        ];
        foreach (var text in malformed)
        {
            await client.SendTextAsync(text);
            var frame = (await client.ReadAsync())!.Value;
            Assert.False(frame.GetProperty("ok").GetBoolean(), text);
            Assert.True("invalid_frame" == frame.GetProperty("error").GetProperty("code").GetString(), $"{text}: {frame}");
        }
        await client.Socket.SendAsync(Encoding.UTF8.GetBytes("{}"), WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal("invalid_frame", (await client.ReadAsync())!.Value.GetProperty("error").GetProperty("code").GetString());

        // an id that could be read is answered by it
        await client.SendTextAsync("{\"type\":\"req\",\"id\":\"x1\",\"params\":{}}");
        Assert.Equal("invalid_frame", (await client.AnswerAsync("x1")).GetProperty("error").GetProperty("code").GetString());

        var error = await client.ErrorAsync("runs.teleport", new { }, "unknown_method");
        Assert.Contains("runs.teleport", error.GetProperty("message").GetString());
        await client.PayloadAsync("sessions.runs", new { sessionKey = "agent:still-open" });
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task A_frame_over_maxPayload_is_answered_payload_too_large_and_closed_with_1009()
    {
        await using var gateway = new KestrelGateway(redis, new Dictionary<string, string> { ["Gateway:WebSocket:MaxPayloadBytes"] = "4096" });
        await using var client = await gateway.ConnectAsync();
        var keys = await redis.KeyCountAsync();

        await client.SendAsync("runs.spawn", new { requesterSessionKey = "agent:big", task = new string('t', 5000) });

        var frames = await client.ReadUntilClosedAsync();
        Assert.Equal("payload_too_large", Assert.Single(frames).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
        Assert.Equal(keys, await redis.KeyCountAsync());
    }

    [Fact]
    public async Task Before_connect_a_frame_over_64_KiB_is_refused_and_closed_with_1009()
    {
        await using var gateway = new KestrelGateway(redis);
        await using var client = await WsClient.OpenAsync(gateway.WsUri);

        await client.SendAsync("connect", new { auth = new { token = new string('k', 70_000) } });

        await client.ReadUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
    }

    [Fact]
    public async Task A_plain_http_request_to_the_websocket_path_answers_400_problem_details()
    {
        await using var gateway = new KestrelGateway(redis);
        using var http = gateway.Http();

        var problem = await (await http.GetAsync("/v1/ws")).ProblemAsync(400);

        Assert.Contains("WebSocket upgrade", problem.Detail);
    }
}
