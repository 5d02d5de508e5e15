using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Api;

public sealed class SessionEventFeedTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Sse_sends_the_sessions_events_and_resumes_after_Last_Event_ID()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:sse");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        await client.AcceptedAsync(run.RunId, new { seq = 2, stream = "assistant", data = new { text = "a" } });
        await client.AcceptedAsync(run.RunId, new { seq = 3, stream = "assistant", data = new { text = "b" } });
        await client.AcceptedAsync(run.RunId, new { seq = 4, stream = "lifecycle", phase = "end" });

        var all = await SseReader.ReadAsync(client, "/v1/sessions/agent:sse/events", 5);

        Assert.Equal(["event", "event", "event", "event", "completion"], all.Select(m => m.Type));
        Assert.All(all, m => Assert.Equal(run.RunId, m.Data.GetProperty("runId").GetString()));
        Assert.Equal(("assistant", 2, "a"), (all[1].Data.GetProperty("kind").GetString(), all[1].Data.GetProperty("seq").GetInt64(),
            all[1].Data.GetProperty("data").GetProperty("text").GetString()));
        Assert.Equal("ok", all[4].Data.GetProperty("status").GetString());

        var resumed = await SseReader.ReadAsync(client, "/v1/sessions/agent:sse/events", 3, lastEventId: all[1].Id);
        Assert.Equal(all.Skip(2).Select(m => m.Id), resumed.Select(m => m.Id));

        var byQuery = await SseReader.ReadAsync(client, $"/v1/sessions/agent:sse/events?after={all[3].Id}", 1);
        Assert.Equal(all[4].Id, Assert.Single(byQuery).Id);
    }

    [Fact]
    public async Task Sse_delivers_events_written_while_connected()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var first = await client.SpawnAsync("agent:live");
        await client.AcceptedAsync(first.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        var seen = await SseReader.ReadAsync(client, "/v1/sessions/agent:live/events", 1);

        // Connected (the server has read the log past the cursor and found nothing) before the events exist.
        await using var stream = await SseReader.OpenAsync(client, "/v1/sessions/agent:live/events", lastEventId: seen[0].Id);
        await client.AcceptedAsync(first.RunId, new { seq = 2, stream = "tool", data = new { name = "ls" } });
        await client.AcceptedAsync(first.RunId, new { seq = 3, stream = "lifecycle", phase = "error", error = "boom" });
        var live = await stream.ReadAsync(2);

        Assert.Equal(("tool", "ls"), (live[0].Data.GetProperty("kind").GetString(), live[0].Data.GetProperty("data").GetProperty("name").GetString()));
        Assert.Equal(("error", "boom"), (live[1].Data.GetProperty("kind").GetString(), live[1].Data.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Sse_stops_polling_when_the_client_disconnects()
    {
        await using var api = new GatewayApiFactory(redis, services: s => s.AddFakeLogging());
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:bye");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });

        await SseReader.ReadAsync(client, "/v1/sessions/agent:bye/events", 1);

        var logs = api.Services.GetRequiredService<FakeLogCollector>();
        await Eventually.TrueAsync(() => logs.GetSnapshot().Any(r => r.Message == "SSE for session agent:bye closed by the client after 1 events"),
            "the stream logs that the client closed it", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_bad_Last_Event_ID_answers_400()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/sessions/agent:sse/events");
        request.Headers.Add("Last-Event-ID", "yesterday");

        var problem = await (await client.SendAsync(request)).ProblemAsync(400);

        Assert.Contains("Last-Event-ID", problem.Detail);
    }
}
