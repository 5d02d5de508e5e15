using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.WebSocket;

/// <summary>Pushes: run.ended when a watched run is final, session.event for a session's log (as the SSE feed sends
/// it, resumed with <c>after</c> without duplicates or gaps), and the per-connection bounds on subscriptions.</summary>
public sealed class WsPushTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Run_ended_is_pushed_at_once_for_a_final_run_and_when_a_live_run_ends()
    {
        await using var gateway = new KestrelGateway(redis);
        using var http = gateway.Http();
        await using var ws = await gateway.ConnectAsync();
        var live = await http.SpawnAsync("agent:watch");
        var done = await http.SpawnAsync("agent:watch");
        await http.AcceptedAsync(done.RunId, new { seq = 1, stream = "lifecycle", phase = "end" });
        var missing = "r" + live.RunId[1..^4] + "zzzz";

        var subscribed = await ws.PayloadAsync("runs.subscribe", new { runIds = new[] { live.RunId, done.RunId, missing } });
        Assert.Equal(3, subscribed.GetProperty("subscribed").GetInt32());

        var early = new[] { await ws.NextPushAsync(), await ws.NextPushAsync() }.ToDictionary(p => p.GetProperty("payload").GetProperty("runId").GetString()!);
        Assert.All(early.Values, p => Assert.Equal("run.ended", p.GetProperty("event").GetString()));
        Assert.Equal("ok", early[done.RunId].GetProperty("payload").GetProperty("run").GetProperty("status").GetString());
        Assert.Equal("not_found", early[missing].GetProperty("payload").GetProperty("error").GetProperty("code").GetString());

        await http.AcceptedAsync(live.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        await http.AcceptedAsync(live.RunId, new { seq = 2, stream = "lifecycle", phase = "end", aborted = false });
        var ended = await ws.NextPushAsync();

        Assert.Equal(3, ended.GetProperty("seq").GetInt64());
        var run = ended.GetProperty("payload").GetProperty("run");
        Assert.Equal("ok", run.GetProperty("status").GetString());
        Assert.True(JsonElement.DeepEquals(await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{live.RunId}"), run), run.ToString());
        Assert.Equal([1L, 2L, 3L], ws.Pushes.Select(p => p.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task Session_events_are_pushed_as_the_sse_feed_sends_them_and_resume_after_a_reconnect_without_duplicates_or_gaps()
    {
        await using var gateway = new KestrelGateway(redis);
        using var http = gateway.Http();
        var run = await http.SpawnAsync("agent:feed");
        await http.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        await http.AcceptedAsync(run.RunId, new { seq = 2, stream = "assistant", data = new { text = "a" } });

        var seen = new List<JsonElement>();
        await using (var first = await gateway.ConnectAsync())
        {
            Assert.True((await first.PayloadAsync("sessions.subscribe", new { sessionKey = "agent:feed" })).GetProperty("subscribed").GetBoolean());
            seen.Add(await first.NextPushAsync());
            seen.Add(await first.NextPushAsync());
            // written while subscribed
            await http.AcceptedAsync(run.RunId, new { seq = 3, stream = "tool", data = new { name = "ls" } });
            seen.Add(await first.NextPushAsync());
        }
        // written while no client is connected
        await http.AcceptedAsync(run.RunId, new { seq = 4, stream = "assistant", data = new { text = "b" } });
        await http.AcceptedAsync(run.RunId, new { seq = 5, stream = "lifecycle", phase = "end" });

        await using (var second = await gateway.ConnectAsync())
        {
            var after = seen[^1].GetProperty("payload").GetProperty("id").GetString();
            await second.PayloadAsync("sessions.subscribe", new { sessionKey = "agent:feed", after });
            for (var i = 0; i < 3; i++) seen.Add(await second.NextPushAsync());
        }

        var sse = await SseReader.ReadAsync(http, "/v1/sessions/agent:feed/events", 6);
        Assert.Equal(sse.Select(m => m.Id), seen.Select(p => p.GetProperty("payload").GetProperty("id").GetString()));
        for (var i = 0; i < sse.Count; i++)
        {
            var payload = seen[i].GetProperty("payload");
            Assert.Equal("session.event", seen[i].GetProperty("event").GetString());
            Assert.Equal("agent:feed", payload.GetProperty("sessionKey").GetString());
            Assert.Equal(sse[i].Type, payload.GetProperty("type").GetString());
            Assert.True(JsonElement.DeepEquals(sse[i].Data, payload.GetProperty("data")), $"SSE {sse[i].Data}\nWS  {payload}");
        }
        Assert.Equal("completion", seen[^1].GetProperty("payload").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_run_ending_wakes_its_sessions_feed_without_waiting_for_the_poll()
    {
        // a poll interval no test waits out: only the run-end signal of the session's shard can wake the feed
        await using var gateway = new KestrelGateway(redis, new Dictionary<string, string> { ["Gateway:SsePollInterval"] = "01:00:00" });
        using var http = gateway.Http();
        var run = await http.SpawnAsync("agent:woken");
        await using var ws = await gateway.ConnectAsync();
        await ws.PayloadAsync("sessions.subscribe", new { sessionKey = "agent:woken" });

        await http.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        await http.AcceptedAsync(run.RunId, new { seq = 2, stream = "lifecycle", phase = "end" });

        var pushed = new[] { await ws.NextPushAsync(), await ws.NextPushAsync(), await ws.NextPushAsync() };
        Assert.Equal(["event", "event", "completion"], pushed.Select(p => p.GetProperty("payload").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Subscriptions_are_bounded_per_connection_with_a_clear_error_and_a_slot_frees_when_its_watch_ends()
    {
        await using var gateway = new KestrelGateway(redis, new Dictionary<string, string>
        {
            ["Gateway:WebSocket:MaxRunSubscriptions"] = "2",
            ["Gateway:WebSocket:MaxSessionSubscriptions"] = "2",
        });
        using var http = gateway.Http();
        await using var ws = await gateway.ConnectAsync();
        var runs = new[] { await http.SpawnAsync("agent:cap"), await http.SpawnAsync("agent:cap"), await http.SpawnAsync("agent:cap") };

        await ws.PayloadAsync("runs.subscribe", new { runIds = new[] { runs[0].RunId, runs[1].RunId } });
        var full = await ws.ErrorAsync("runs.subscribe", new { runIds = new[] { runs[2].RunId } }, "subscription_limit");
        Assert.Contains("more than 2 runs", full.GetProperty("message").GetString());
        await http.AcceptedAsync(runs[0].RunId, new { seq = 1, stream = "lifecycle", phase = "end" });
        Assert.Equal(runs[0].RunId, (await ws.NextPushAsync()).GetProperty("payload").GetProperty("runId").GetString());
        await Eventually.TrueAsync(async () => (await ws.CallAsync("runs.subscribe", new { runIds = new[] { runs[2].RunId } })).GetProperty("ok").GetBoolean(),
            "a watch that pushed its run.ended frees its slot");

        await ws.PayloadAsync("sessions.subscribe", new { sessionKey = "s1" });
        await ws.PayloadAsync("sessions.subscribe", new { sessionKey = "s2" });
        await ws.PayloadAsync("sessions.subscribe", new { sessionKey = "s2" });
        var sessions = await ws.ErrorAsync("sessions.subscribe", new { sessionKey = "s3" }, "subscription_limit");
        Assert.Contains("2 sessions", sessions.GetProperty("message").GetString());
        Assert.True((await ws.PayloadAsync("sessions.unsubscribe", new { sessionKey = "s1" })).GetProperty("unsubscribed").GetBoolean());
        Assert.False((await ws.PayloadAsync("sessions.unsubscribe", new { sessionKey = "s1" })).GetProperty("unsubscribed").GetBoolean());
        await ws.PayloadAsync("sessions.subscribe", new { sessionKey = "s3" });
    }
}
