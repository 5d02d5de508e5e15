using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Api;

/// <summary>Each client mistake answers a 4xx ProblemDetails that says what was wrong, and stores nothing.</summary>
public sealed class BadInputTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private static readonly string Long201 = new('k', 201);

    public static TheoryData<string, int, string> BadSpawns => new()
    {
        { "{\"requesterSessionKey\": \"agent:main\", \"task\": ", 400, "Invalid value at $" },
        { "[1, 2]", 400, "Invalid value at $" },
        { "{}", 400, "requesterSessionKey: is required" },
        { "{\"requesterSessionKey\": \"agent:main\"}", 400, "task: is required" },
        { "{\"requesterSessionKey\": \"agent/main\", \"task\": \"t\"}", 400, "requesterSessionKey: must be letters, digits" },
        { $"{{\"requesterSessionKey\": \"{Long201}\", \"task\": \"t\"}}", 400, "requesterSessionKey: must be" },
        { $"{{\"requesterSessionKey\": \"a\", \"task\": \"{new string('t', 16_001)}\"}}", 400, "task: is 16001 characters; at most 16000" },
        { $"{{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"label\": \"{Long201}\"}}", 400, "label: is 201 characters" },
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"childSessionKey\": \"\"}", 400, "childSessionKey: must be" },
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"spawnMode\": \"forever\"}", 400, "$.spawnMode" },
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"spawnMode\": 1}", 400, "$.spawnMode" },
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"cleanup\": \"shred\"}", 400, "$.cleanup" },
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"spawnmodee\": \"run\"}", 400, "spawnmodee" },
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"runTimeoutSeconds\": -1}", 400, "runTimeoutSeconds: must be between 0" },
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"runTimeoutSeconds\": \"soon\"}", 400, "$.runTimeoutSeconds" },
        // A week is more than any run may live (Registry:MaxRunLifetime, 24 h): refused, not silently clamped.
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"runTimeoutSeconds\": 604800}", 400, "runTimeoutSeconds: must be between 0 (no timeout) and 86400, the longest a run may live (Registry:MaxRunLifetime)" },
        { "{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"runTimeoutSeconds\": 86401}", 400, "and 86400" },
        { $"{{\"requesterSessionKey\": \"a\", \"task\": \"t\", \"label\": \"{new string('x', 70_000)}\"}}", 413, "limit is 65536 bytes" },
    };

    [Theory]
    [MemberData(nameof(BadSpawns))]
    public async Task A_bad_spawn_is_refused_and_stores_nothing(string body, int status, string detail)
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        await client.SpawnAsync("agent:existing");
        var before = await RedisFingerprint.OfAsync(redis);

        var response = await client.PostAsync("/v1/runs", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.ProblemAsync(status);
        Assert.Contains(detail, problem.Detail);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    [Fact]
    public async Task A_body_that_is_not_json_answers_415_or_400_never_500()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();

        var plain = await client.PostAsync("/v1/runs", new StringContent("hello", Encoding.UTF8, "text/plain"));
        Assert.Contains("Content-Type: application/json", (await plain.ProblemAsync(415)).Detail);
        var empty = await client.PostAsync("/v1/runs", new StringContent("", Encoding.UTF8, "application/json"));
        await empty.ProblemAsync(400);
    }

    public static TheoryData<string, int, string> BadEvents => new()
    {
        { "{\"seq\": 2, \"stream\": ", 400, "Invalid value at $" },
        { "{\"stream\": \"assistant\"}", 400, "seq: is required" },
        { "{\"seq\": 0, \"stream\": \"assistant\"}", 400, "seq: must be between 1" },
        { "{\"seq\": 2}", 400, "stream: is required" },
        { "{\"seq\": 2, \"stream\": \"lifecycle\"}", 400, "phase: is required" },
        { "{\"seq\": 2, \"stream\": \"lifecycle\", \"phase\": \"begin\"}", 400, "$.phase" },
        { "{\"seq\": 2, \"stream\": \"lifecycle\", \"phase\": \"start\", \"data\": {}}", 400, "data: is not allowed" },
        { "{\"seq\": 2, \"stream\": \"lifecycle\", \"phase\": \"start\", \"aborted\": true}", 400, "aborted: is only allowed with phase 'end'" },
        { "{\"seq\": 2, \"stream\": \"end\"}", 400, "stream: must be 'lifecycle' or an agent stream name" },
        { "{\"seq\": 2, \"stream\": \"Assistant Stream\"}", 400, "stream: must be" },
        { "{\"seq\": 2, \"stream\": \"assistant\", \"phase\": \"end\"}", 400, "phase, aborted and error belong to stream 'lifecycle'" },
        { $"{{\"seq\": 2, \"stream\": \"assistant\", \"data\": \"{new string('d', 32_001)}\"}}", 400, "data: is longer than 32000" },
        { $"{{\"seq\": 2, \"stream\": \"lifecycle\", \"phase\": \"error\", \"error\": \"{new string('e', 4_001)}\"}}", 400, "error: is 4001 characters" },
        { $"{{\"seq\": 2, \"stream\": \"assistant\", \"data\": \"{new string('d', 66_000)}\"}}", 413, "limit is 65536 bytes" },
        { "{\"seq\": 3, \"stream\": \"assistant\"}", 409, "Out-of-order event: seq 3" },
        { "{\"seq\": 1, \"stream\": \"assistant\"}", 409, "Duplicate event: seq 1 was already accepted" },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public async Task A_bad_event_is_refused_and_stores_nothing(string body, int status, string detail)
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:events");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        var before = await RedisFingerprint.OfAsync(redis);

        var response = await client.PostAsync($"/v1/runs/{run.RunId}/events", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.ProblemAsync(status);
        Assert.Contains(detail, problem.Detail);
        if (status == 409) Assert.Contains("expected seq 2", problem.Detail);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    public static TheoryData<string, int, string> BadBatches => new()
    {
        { "{\"events\": [", 400, "Invalid value at $" },
        { "{}", 400, "events: must hold 1 to 100 events." },
        { "{\"events\": []}", 400, "events: must hold 1 to 100 events." },
        { $"{{\"events\": [{string.Join(",", Enumerable.Repeat("{\"seq\": 2, \"stream\": \"assistant\"}", 101))}]}}", 400, "events: must hold 1 to 100 events." },
        { "{\"events\": {\"seq\": 2, \"stream\": \"assistant\"}}", 400, "$.events" },
        { "{\"evts\": [{\"seq\": 2, \"stream\": \"assistant\"}]}", 400, "evts" },
        { $"{{\"events\": [{{\"seq\": 2, \"stream\": \"assistant\", \"data\": \"{new string('d', 66_000)}\"}}]}}", 413, "limit is 65536 bytes" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_bad_batch_of_events_is_refused_as_a_whole_and_stores_nothing(string body, int status, string detail)
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:batches");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        var before = await RedisFingerprint.OfAsync(redis);

        var response = await client.PostAsync($"/v1/runs/{run.RunId}/events/batch", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.ProblemAsync(status);
        Assert.Contains(detail, problem.Detail);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    [Fact]
    public async Task A_batch_whose_events_are_all_refused_stores_nothing()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:refused");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        var before = await RedisFingerprint.OfAsync(redis);

        var response = await client.PostAsJsonAsync($"/v1/runs/{run.RunId}/events/batch",
            new { events = new object?[] { new { seq = 1, stream = "assistant" }, null, new { seq = 0, stream = "assistant" }, new { seq = 3, stream = "assistant" } } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("status").GetInt32(), r.GetProperty("problem").GetProperty("detail").GetString()!)).ToList();
        Assert.Equal([409, 400, 400, 409], results.Select(r => r.Item1));
        Assert.Contains("Duplicate event: seq 1", results[0].Item2);
        Assert.Contains("event: must be an object.", results[1].Item2);
        Assert.Contains("seq: must be between 1", results[2].Item2);
        Assert.Contains("Out-of-order event: seq 3", results[3].Item2);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    [Fact]
    public async Task An_event_for_a_finished_run_answers_409_and_stores_nothing()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:finished");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "end" });
        var before = await RedisFingerprint.OfAsync(redis);

        var problem = await (await client.EventAsync(run.RunId, new { seq = 2, stream = "assistant" })).ProblemAsync(409);

        Assert.Contains("has already finished (status ok)", problem.Detail);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    [Fact]
    public async Task A_swept_run_answers_410_to_every_call_and_an_event_for_it_stores_nothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var api = new GatewayApiFactory(redis, clock: clock);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:swept");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "end" });
        clock.Advance(TimeSpan.FromMinutes(61));
        await api.Registry.SweepAllAsync();
        var before = await RedisFingerprint.OfAsync(redis);

        var late = await (await client.EventAsync(run.RunId, new { seq = 2, stream = "assistant" })).ProblemAsync(410);
        await (await client.PostAsJsonAsync($"/v1/runs/{run.RunId}/events/batch", new { events = new[] { new { seq = 2, stream = "assistant" } } })).ProblemAsync(410);

        Assert.Contains($"Run '{run.RunId}' has been removed by retention", late.Detail);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
        await (await client.GetAsync($"/v1/runs/{run.RunId}")).ProblemAsync(410);
        await (await client.GetAsync($"/v1/runs/{run.RunId}/wait?timeoutMs=10")).ProblemAsync(410);
        await (await client.PostAsync($"/v1/runs/{run.RunId}/abort", null)).ProblemAsync(410);
        await (await client.PostAsJsonAsync($"/v1/runs/{run.RunId}/recipients", new { add = new[] { "c" } })).ProblemAsync(410);
    }

    [Fact]
    public async Task Unknown_runs_answer_404_on_every_run_endpoint()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        foreach (var id in new[] { "0" + new string('a', 33), "not-a-run-id" })
        {
            await (await client.GetAsync($"/v1/runs/{id}")).ProblemAsync(404);
            await (await client.EventAsync(id, new { seq = 1, stream = "assistant" })).ProblemAsync(404);
            await (await client.PostAsJsonAsync($"/v1/runs/{id}/events/batch", new { events = new[] { new { seq = 1, stream = "assistant" } } })).ProblemAsync(404);
            await (await client.GetAsync($"/v1/runs/{id}/wait?timeoutMs=10")).ProblemAsync(404);
            await (await client.PostAsync($"/v1/runs/{id}/abort", null)).ProblemAsync(404);
            await (await client.PostAsJsonAsync($"/v1/runs/{id}/recipients", new { add = new[] { "c" } })).ProblemAsync(404);
        }
    }

    [Theory]
    [InlineData("-1", "timeoutMs: must be between 0 and 120000")]
    [InlineData("120001", "timeoutMs: must be between 0 and 120000")]
    [InlineData("soon", "timeoutMs")]
    public async Task A_bad_wait_timeout_answers_400(string timeoutMs, string detail)
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:waitbad");

        var problem = await (await client.GetAsync($"/v1/runs/{run.RunId}/wait?timeoutMs={timeoutMs}")).ProblemAsync(400);

        Assert.Contains(detail, problem.Detail);
    }

    [Theory]
    [InlineData("runs")]
    [InlineData("abort")]
    [InlineData("events")]
    public async Task A_bad_session_key_answers_400(string endpoint)
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var before = await RedisFingerprint.OfAsync(redis);
        var path = $"/v1/sessions/{Uri.EscapeDataString("agent main")}/{endpoint}";

        var response = endpoint == "abort" ? await client.PostAsync(path, null) : await client.GetAsync(path);

        Assert.Contains("sessionKey: must be letters, digits", (await response.ProblemAsync(400)).Detail);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    [Theory]
    [InlineData("{}", 400, "add or remove must name at least one")]
    [InlineData("{\"add\": [\"a/b\"]}", 400, "every connection id must be")]
    [InlineData("{\"add\": \"conn-1\"}", 400, "$.add")]
    [InlineData("{\"add\": [\"conn-3\", \"conn-4\"]}", 409, "would have more than 3 recipients")]
    public async Task A_bad_recipients_update_is_refused_and_stores_nothing(string body, int status, string detail)
    {
        await using var api = new GatewayApiFactory(redis, new Dictionary<string, string> { ["Registry:MaxEntries:RecipientsPerRun"] = "3" });
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:rcpbad");
        (await client.PostAsJsonAsync($"/v1/runs/{run.RunId}/recipients", new { add = new[] { "conn-1", "conn-2" } })).EnsureSuccessStatusCode();
        var before = await RedisFingerprint.OfAsync(redis);

        var response = await client.PostAsync($"/v1/runs/{run.RunId}/recipients", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Contains(detail, (await response.ProblemAsync(status)).Detail);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }
}
