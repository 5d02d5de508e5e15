using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.WebSocket;

/// <summary>Params that fail validation are refused over the WebSocket with HTTP's own messages (its ProblemDetails'
/// detail and field errors), and store nothing.</summary>
public sealed class WsBadInputTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const string RunIdPlaceholder = "RUN";

    /// <summary>The WebSocket method, its params as JSON, and the HTTP request that does the same (path, body).</summary>
    public static TheoryData<string, string, string, string> BadRequests => new()
    {
        { "runs.spawn", "{}", "/v1/runs", "{}" },
        { "runs.spawn", "{\"requesterSessionKey\":\"agent/main\",\"task\":\" \"}", "/v1/runs", "{\"requesterSessionKey\":\"agent/main\",\"task\":\" \"}" },
        { "runs.spawn", $"{{\"requesterSessionKey\":\"a\",\"task\":\"t\",\"label\":\"{new string('l', 201)}\"}}", "/v1/runs", $"{{\"requesterSessionKey\":\"a\",\"task\":\"t\",\"label\":\"{new string('l', 201)}\"}}" },
        { "runs.spawn", "{\"requesterSessionKey\":\"a\",\"task\":\"t\",\"runTimeoutSeconds\":604800}", "/v1/runs", "{\"requesterSessionKey\":\"a\",\"task\":\"t\",\"runTimeoutSeconds\":604800}" },
        { "runs.spawn", "{\"requesterSessionKey\":\"a\",\"task\":\"t\",\"spawnmodee\":\"run\"}", "/v1/runs", "{\"requesterSessionKey\":\"a\",\"task\":\"t\",\"spawnmodee\":\"run\"}" },
        { "runs.spawn", "{\"requesterSessionKey\":\"a\",\"task\":\"t\",\"spawnMode\":\"forever\"}", "/v1/runs", "{\"requesterSessionKey\":\"a\",\"task\":\"t\",\"spawnMode\":\"forever\"}" },
        { "runs.recipients", "{\"runId\":\"RUN\"}", "/v1/runs/RUN/recipients", "{}" },
        { "runs.recipients", "{\"runId\":\"RUN\",\"add\":[\"a/b\"]}", "/v1/runs/RUN/recipients", "{\"add\":[\"a/b\"]}" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_params_carry_http_s_messages_and_store_nothing(string method, string parameters, string path, string body)
    {
        await using var gateway = new KestrelGateway(redis);
        using var http = gateway.Http();
        await using var ws = await gateway.ConnectAsync();
        var runId = (await ws.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:existing", task = "t" })).GetProperty("run").GetProperty("runId").GetString()!;
        var before = await RedisFingerprint.OfAsync(redis);

        await ws.SendTextAsync($"{{\"type\":\"req\",\"id\":\"bad\",\"method\":\"{method}\",\"params\":{parameters.Replace(RunIdPlaceholder, runId)}}}");
        var answer = await ws.AnswerAsync("bad");

        var problem = await (await http.PostAsync(path.Replace(RunIdPlaceholder, runId), new StringContent(body, Encoding.UTF8, "application/json"))).ProblemAsync(400);
        var error = answer.GetProperty("error");
        Assert.Equal("invalid_request", error.GetProperty("code").GetString());
        Assert.Equal(problem.Detail, error.GetProperty("message").GetString());
        if (problem.Extensions.TryGetValue("errors", out var errors))
        {
            Assert.True(JsonElement.DeepEquals((JsonElement)errors!, error.GetProperty("details").GetProperty("errors")), $"HTTP {errors}\nWS {error}");
        }
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    [Fact]
    public async Task Bad_events_in_a_batch_carry_http_s_messages_and_store_nothing()
    {
        await using var gateway = new KestrelGateway(redis);
        using var http = gateway.Http();
        await using var ws = await gateway.ConnectAsync();
        var runId = (await ws.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:events", task = "t" })).GetProperty("run").GetProperty("runId").GetString()!;
        object[] bad =
        [
            new { seq = 0, stream = "assistant" },
            new { seq = 1, stream = "lifecycle" },
            new { seq = 1, stream = "lifecycle", phase = "start", data = new { x = 1 } },
            new { seq = 1, stream = "Bad Stream" },
            new { seq = 1, stream = "assistant", data = new string('d', 32_001) },
        ];
        var before = await RedisFingerprint.OfAsync(redis);

        var results = (await ws.PayloadAsync("runs.events", new { runId, events = bad })).GetProperty("results").EnumerateArray().ToList();

        Assert.Equal(bad.Length, results.Count);
        for (var i = 0; i < bad.Length; i++)
        {
            var problem = await (await http.PostAsJsonAsync($"/v1/runs/{runId}/events", bad[i])).ProblemAsync(400);
            Assert.False(results[i].GetProperty("ok").GetBoolean());
            Assert.Equal("invalid_request", results[i].GetProperty("error").GetProperty("code").GetString());
            Assert.Equal(problem.Detail, results[i].GetProperty("error").GetProperty("message").GetString());
        }
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));

        await ws.ErrorAsync("runs.events", new { runId, events = Array.Empty<object>() }, "invalid_request");
        await ws.ErrorAsync("runs.events", new { runId, events = Enumerable.Range(1, 101).Select(seq => new { seq, stream = "a" }) }, "invalid_request");
        await ws.ErrorAsync("runs.events", new { events = new[] { new { seq = 1, stream = "a" } } }, "invalid_request");
        await ws.ErrorAsync("runs.events", new { runId = "no-such-run", events = new[] { new { seq = 1, stream = "a" } } }, "not_found");
        await ws.ErrorAsync("sessions.runs", new { sessionKey = "a/b" }, "invalid_request");
        await ws.ErrorAsync("sessions.runs", new { sessionKey = "a", limit = 0 }, "invalid_request");
        await ws.ErrorAsync("sessions.subscribe", new { sessionKey = "a", after = "yesterday" }, "invalid_request");
        await ws.ErrorAsync("runs.subscribe", new { runIds = Array.Empty<string>() }, "invalid_request");
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }
}
