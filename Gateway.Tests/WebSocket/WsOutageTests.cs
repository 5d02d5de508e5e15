using System.Net.WebSockets;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.WebSocket;

/// <summary>Redis down: requests are answered <c>unavailable</c> with when to retry, the connection stays open,
/// and the same connection is served again once Redis is back.</summary>
public sealed class WsOutageTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Redis_down_answers_unavailable_with_retryAfterSeconds_and_the_connection_recovers()
    {
        await using var gateway = new KestrelGateway(redis);
        await using var ws = await gateway.ConnectAsync();
        var runId = (await ws.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:outage", task = "t" })).GetProperty("run").GetProperty("runId").GetString();

        await redis.StopAsync();
        try
        {
            var get = await ws.ErrorAsync("runs.get", new { runId }, "unavailable");
            Assert.Equal("Redis is unreachable; retry later.", get.GetProperty("message").GetString());
            Assert.Equal(5, get.GetProperty("details").GetProperty("retryAfterSeconds").GetInt32());
            await ws.ErrorAsync("runs.spawn", new { requesterSessionKey = "agent:outage", task = "t" }, "unavailable");
            await ws.ErrorAsync("runs.events", new { runId, events = new[] { new { seq = 1, stream = "assistant" } } }, "unavailable");
            await ws.ErrorAsync("sessions.subscribe", new { sessionKey = "agent:outage" }, "unavailable");
            Assert.Equal(WebSocketState.Open, ws.Socket.State);
        }
        finally
        {
            await redis.StartAsync();
        }

        await Eventually.TrueAsync(async () => (await ws.CallAsync("runs.spawn", new { requesterSessionKey = "agent:outage", task = "after" })).GetProperty("ok").GetBoolean(),
            "a spawn on the same connection succeeds again after Redis restarted", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));
        await ws.PayloadAsync("sessions.subscribe", new { sessionKey = "agent:outage" });
    }
}
