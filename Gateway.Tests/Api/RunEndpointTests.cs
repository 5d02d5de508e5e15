using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Api;

/// <summary>Every endpoint's happy path, through HTTP, on real Redis.</summary>
public sealed class RunEndpointTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Spawn_answers_201_with_the_run_and_its_location()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        await using var api = new GatewayApiFactory(redis, clock: clock);
        var client = api.ClientFor();

        var response = await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:main", task = "t", label = "nightly", childSessionKey = "agent:child.1", runTimeoutSeconds = 60 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var run = (await response.Content.ReadFromJsonAsync<RunResponse>(GatewayApiFactory.Json))!;
        Assert.Equal($"/v1/runs/{run.RunId}", response.Headers.Location?.OriginalString);
        Assert.True(Shard.IsWellFormed(run.RunId), run.RunId);
        Assert.Equal(("agent:main", "agent:child.1", "t", "nightly"), (run.RequesterSessionKey, run.ChildSessionKey, run.Task, run.Label));
        Assert.Equal((SpawnMode.Run, CleanupMode.Keep, RunStatus.Pending, 0L), (run.SpawnMode, run.Cleanup, run.Status, run.LastSeq));
        Assert.Equal((clock.GetUtcNow(), clock.GetUtcNow().AddSeconds(60)), (run.CreatedAt, run.TimeoutAt));
        var json = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"spawnMode\":\"run\"", json);
        Assert.Contains("\"status\":\"pending\"", json);
        Assert.Equal(run, await client.RunAsync(run.RunId));
    }

    [Fact]
    public async Task A_timeout_of_the_whole_run_lifetime_is_accepted_as_asked()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        await using var api = new GatewayApiFactory(redis, clock: clock);
        var maxSeconds = (int)api.Services.GetRequiredService<RunRegistry>().Options.MaxRunLifetime.TotalSeconds;

        var response = await api.ClientFor().PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:main", task = "t", runTimeoutSeconds = maxSeconds });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var run = (await response.Content.ReadFromJsonAsync<RunResponse>(GatewayApiFactory.Json))!;
        Assert.Equal(clock.GetUtcNow().AddSeconds(maxSeconds), run.TimeoutAt);
    }

    [Fact]
    public async Task A_repeated_idempotency_key_returns_the_same_run_with_200()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var body = new { requesterSessionKey = "agent:idem", task = "t", idempotencyKey = "req-42" };

        var first = await client.PostAsJsonAsync("/v1/runs", body);
        var second = await client.PostAsJsonAsync("/v1/runs", body);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var a = await first.Content.ReadFromJsonAsync<RunResponse>(GatewayApiFactory.Json);
        var b = await second.Content.ReadFromJsonAsync<RunResponse>(GatewayApiFactory.Json);
        Assert.Equal(a!.RunId, b!.RunId);
        Assert.Single(await client.GetFromJsonAsync<List<RunResponse>>("/v1/sessions/agent:idem/runs", GatewayApiFactory.Json) ?? []);
    }

    [Fact]
    public async Task Events_in_order_run_the_lifecycle_and_wait_reports_the_result()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:life");

        var start = await client.EventAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var accepted = (await start.Content.ReadFromJsonAsync<EventAcceptedResponse>(GatewayApiFactory.Json))!;
        Assert.Equal((run.RunId, 1L), (accepted.RunId, accepted.Seq));
        Assert.Matches(@"^\d+-\d+$", accepted.EntryId);
        Assert.Equal(RunStatus.Running, (await client.RunAsync(run.RunId)).Status);

        await client.AcceptedAsync(run.RunId, new { seq = 2, stream = "assistant", data = new { text = "hello" } });
        await client.AcceptedAsync(run.RunId, new { seq = 3, stream = "tool", data = new { name = "grep", args = new[] { "x" } } });
        await client.AcceptedAsync(run.RunId, new { seq = 4, stream = "lifecycle", phase = "end" });

        var ended = await client.RunAsync(run.RunId);
        Assert.Equal((RunStatus.Ok, 4L, "completed"), (ended.Status, ended.LastSeq, ended.EndedReason));
        var wait = await client.GetFromJsonAsync<WaitResponse>($"/v1/runs/{run.RunId}/wait?timeoutMs=1000", GatewayApiFactory.Json);
        Assert.Equal(new WaitResponse(run.RunId, RunStatus.Ok, true, ended.StartedAt, ended.EndedAt, null), wait);
    }

    [Fact]
    public async Task A_batch_of_events_is_answered_event_by_event_as_if_each_were_posted_alone()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:batch");
        object[] events =
        [
            new { seq = 1, stream = "lifecycle", phase = "start" },
            new { seq = 2, stream = "assistant", data = new { text = "hello" } },
            new { seq = 2, stream = "assistant", data = new { text = "again" } },  // a duplicate: refused alone
            new { seq = 3, stream = "Not A Stream" },                              // invalid: refused alone, stores nothing
            new { seq = 3, stream = "lifecycle", phase = "end" },
            new { seq = 4, stream = "tool" },                                      // after the end
        ];

        var response = await client.PostAsJsonAsync($"/v1/runs/{run.RunId}/events/batch", new { events });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([202, 202, 409, 400, 202, 409], results.Select(r => r.GetProperty("status").GetInt32()));
        Assert.Equal([1L, 2L, 3L], results.Where(r => r.TryGetProperty("seq", out _)).Select(r => r.GetProperty("seq").GetInt64()));
        Assert.All(results.Where(r => r.GetProperty("status").GetInt32() == 202), r => Assert.Matches(@"^\d+-\d+$", r.GetProperty("entryId").GetString()));
        Assert.Contains("Duplicate event: seq 2 was already accepted", results[2].GetProperty("problem").GetProperty("detail").GetString());
        Assert.Equal(409, results[2].GetProperty("problem").GetProperty("status").GetInt32());
        Assert.StartsWith("must be 'lifecycle' or an agent stream name", results[3].GetProperty("problem").GetProperty("errors").GetProperty("stream")[0].GetString());
        Assert.Contains("has already finished (status ok)", results[5].GetProperty("problem").GetProperty("detail").GetString());
        var ended = await client.RunAsync(run.RunId);
        Assert.Equal((RunStatus.Ok, 3L), (ended.Status, ended.LastSeq));
        var log = await api.Registry.ReadEventsAsync("tenant-a", "agent:batch", null);
        var stored = log.Where(e => e.Type == "event").ToList();
        Assert.Equal(["start", "assistant", "end"], stored.Select(e => e.Fields["kind"]));
        Assert.Equal("{\"text\":\"hello\"}", stored[1].Fields["data"]);
    }

    [Fact]
    public async Task A_lifecycle_error_is_recorded_on_the_run_as_pending()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:err");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        await client.AcceptedAsync(run.RunId, new { seq = 2, stream = "lifecycle", phase = "error", error = "model overloaded" });

        var read = await client.RunAsync(run.RunId);
        Assert.True(read.ErrorPending);
        Assert.Equal((RunStatus.Running, "model overloaded"), (read.Status, read.Error));
    }

    [Fact]
    public async Task Wait_on_a_live_run_times_out_with_done_false()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:wait");

        var wait = await client.GetFromJsonAsync<WaitResponse>($"/v1/runs/{run.RunId}/wait?timeoutMs=200", GatewayApiFactory.Json);

        Assert.Equal((RunStatus.Pending, false, (DateTimeOffset?)null), (wait!.Status, wait.Done, wait.EndedAt));
    }

    [Fact]
    public async Task Wait_returns_when_the_runs_end_is_signalled()
    {
        // No fallback poll within the wait: only the end signal can end it before its timeout (done: false).
        await using var api = new GatewayApiFactory(redis, new Dictionary<string, string> { ["Gateway:WaitFallbackPoll"] = "00:05:00" });
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:wait2");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        var signals = api.Services.GetRequiredService<RunEndSignals>();
        using var waitingGauge = new MetricCollector<int>(api.Services.GetRequiredService<IMeterFactory>(), RegistryMetrics.MeterName, "gateway.registry.waiting_runs");

        var waiting = client.GetFromJsonAsync<WaitResponse>($"/v1/runs/{run.RunId}/wait?timeoutMs=30000", GatewayApiFactory.Json);
        await Eventually.TrueAsync(() => signals.WaitingRuns == 1, "the wait is watching the run's end");
        Assert.False(waiting.IsCompleted);
        waitingGauge.RecordObservableInstruments();
        Assert.Equal(1, waitingGauge.LastMeasurement?.Value);
        await client.AcceptedAsync(run.RunId, new { seq = 2, stream = "lifecycle", phase = "end", aborted = true });
        var wait = await waiting;

        Assert.Equal((RunStatus.Timeout, true), (wait!.Status, wait.Done));
        Assert.Equal(0, signals.WaitingRuns);
    }

    [Fact]
    public async Task Session_runs_lists_the_sessions_runs_oldest_first()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var first = await client.SpawnAsync("agent:list@host-1");
        var second = await client.SpawnAsync("agent:list@host-1");
        await client.SpawnAsync("agent:other");

        var runs = await client.GetFromJsonAsync<List<RunResponse>>("/v1/sessions/agent:list@host-1/runs", GatewayApiFactory.Json);

        Assert.Equal([first.RunId, second.RunId], runs!.Select(r => r.RunId));
    }

    [Fact]
    public async Task Abort_run_aborts_once_then_answers_409()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:abort");

        var response = await client.PostAsync($"/v1/runs/{run.RunId}/abort", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var aborted = (await response.Content.ReadFromJsonAsync<RunResponse>(GatewayApiFactory.Json))!;
        Assert.Equal((RunStatus.Aborted, "aborted"), (aborted.Status, aborted.EndedReason));

        var again = await (await client.PostAsync($"/v1/runs/{run.RunId}/abort", null)).ProblemAsync(409);
        Assert.Contains("already finished (status aborted)", again.Detail);
    }

    [Fact]
    public async Task Abort_session_aborts_every_live_run_of_the_session()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var a = await client.SpawnAsync("agent:bulk");
        var b = await client.SpawnAsync("agent:bulk");
        var done = await client.SpawnAsync("agent:bulk");
        await client.AcceptedAsync(done.RunId, new { seq = 1, stream = "lifecycle", phase = "end" });

        var response = await client.PostAsync("/v1/sessions/agent:bulk/abort", null);

        var body = (await response.Content.ReadFromJsonAsync<SessionAbortResponse>(GatewayApiFactory.Json))!;
        Assert.Equal(new[] { a.RunId, b.RunId }.Order(), body.Aborted.Order());
        Assert.Equal(RunStatus.Aborted, (await client.RunAsync(a.RunId)).Status);
        Assert.Equal(RunStatus.Ok, (await client.RunAsync(done.RunId)).Status);
    }

    [Fact]
    public async Task Recipients_are_added_and_removed()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:rcp");

        var added = await client.PostAsJsonAsync($"/v1/runs/{run.RunId}/recipients", new { add = new[] { "conn-2", "conn-1", "conn-3" } });
        Assert.Equal(["conn-1", "conn-2", "conn-3"], (await added.Content.ReadFromJsonAsync<RecipientsResponse>(GatewayApiFactory.Json))!.Recipients);

        var removed = await client.PostAsJsonAsync($"/v1/runs/{run.RunId}/recipients", new { remove = new[] { "conn-2" } });
        Assert.Equal(["conn-1", "conn-3"], (await removed.Content.ReadFromJsonAsync<RecipientsResponse>(GatewayApiFactory.Json))!.Recipients);
        Assert.Equal(["conn-1", "conn-3"], await api.Registry.GetRecipientsAsync("tenant-a", run.RunId));
    }

    [Fact]
    public async Task Registry_reports_every_registry_with_sizes_and_eviction_counts()
    {
        await redis.FlushAsync();
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        await client.SpawnAsync("agent:reg", idempotencyKey: "k1");

        var registry = (await client.GetFromJsonAsync<RegistryResponse>("/v1/registry", GatewayApiFactory.Json))!;

        Assert.Equal(Registries.All, registry.Registries.Select(r => r.Name));
        var sizes = registry.Registries.ToDictionary(r => r.Name, r => r.Entries);
        Assert.Equal((1, 1, 1, 1, 0), (sizes["runs"], sizes["run_contexts"], sizes["dedupe_keys"], sizes["session_logs"], sizes["tombstones"]));
        Assert.All(registry.Registries, r => Assert.Equal(new EvictionCounts(0, 0, 0, 0), r.Evictions));
        Assert.Equal(0, registry.LagSeconds);
    }

    [Fact]
    public async Task The_openapi_document_and_reference_page_are_served_without_a_key()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor(key: null);

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/runs", paths);
        Assert.Contains("/v1/runs/{runId}/events", paths);
        Assert.Contains("/v1/runs/{runId}/events/batch", paths);
        Assert.Contains("/v1/sessions/{sessionKey}/events", paths);
        Assert.Contains("/v1/registry", paths);
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer").GetProperty("scheme").GetString());

        var page = await client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }
}
