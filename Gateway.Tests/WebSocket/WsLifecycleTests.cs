using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.WebSocket;

/// <summary>A run's whole lifecycle over /v1/ws answers what HTTP answers for the same operations.</summary>
public sealed class WsLifecycleTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Connect_answers_hello_ok_with_the_tenant_and_the_configured_limits()
    {
        await using var gateway = new KestrelGateway(redis, new Dictionary<string, string>
        {
            ["Gateway:WebSocket:MaxPayloadBytes"] = "200000",
            ["Gateway:WebSocket:MaxBufferedBytes"] = "300000",
            ["Gateway:WebSocket:MaxInFlight"] = "7",
        });
        await using var client = await WsClient.OpenAsync(gateway.WsUri);

        var hello = await client.PayloadAsync("connect", new { minProtocol = 1, maxProtocol = 2, auth = new { token = GatewayApiFactory.KeyB } });

        Assert.Equal("hello-ok", hello.GetProperty("type").GetString());
        Assert.Equal(1, hello.GetProperty("protocol").GetInt32());
        Assert.Equal("tenant-b", hello.GetProperty("tenant").GetString());
        var policy = hello.GetProperty("policy");
        Assert.Equal(200000, policy.GetProperty("maxPayload").GetInt32());
        Assert.Equal(300000, policy.GetProperty("maxBufferedBytes").GetInt32());
        Assert.Equal(7, policy.GetProperty("maxInFlight").GetInt32());
    }

    [Fact]
    public async Task A_lifecycle_over_the_websocket_answers_what_http_answers()
    {
        await using var gateway = new KestrelGateway(redis);
        using var http = gateway.Http();
        await using var ws = await gateway.ConnectAsync();

        var spawned = await ws.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:ws-life", task = "summarize", label = "l1", idempotencyKey = "k1" });
        Assert.True(spawned.GetProperty("created").GetBoolean());
        var runId = spawned.GetProperty("run").GetProperty("runId").GetString()!;
        AssertSame(await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}"), spawned.GetProperty("run"));
        var again = await ws.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:ws-life", task = "summarize", label = "l1", idempotencyKey = "k1" });
        Assert.False(again.GetProperty("created").GetBoolean());
        Assert.Equal(runId, again.GetProperty("run").GetProperty("runId").GetString());

        var one = await ws.PayloadAsync("runs.events", new { runId, events = new object[] { new { seq = 1, stream = "lifecycle", phase = "start" } } });
        var first = Assert.Single(one.GetProperty("results").EnumerateArray());
        Assert.True(first.GetProperty("ok").GetBoolean());
        Assert.Equal(1, first.GetProperty("seq").GetInt64());
        Assert.Matches("^[0-9]+-[0-9]+$", first.GetProperty("entryId").GetString());

        var many = await ws.PayloadAsync("runs.events", new
        {
            runId,
            events = Enumerable.Range(2, 10).Select(seq => new { seq, stream = "assistant", data = new { text = $"part {seq}" } }).ToArray(),
        });
        Assert.Equal(Enumerable.Range(2, 10).Select(s => (long)s), many.GetProperty("results").EnumerateArray().Select(r =>
        {
            Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
            return r.GetProperty("seq").GetInt64();
        }));

        var duplicate = await ws.PayloadAsync("runs.events", new { runId, events = new object[] { new { seq = 5, stream = "assistant" } } });
        var refused = Assert.Single(duplicate.GetProperty("results").EnumerateArray());
        Assert.False(refused.GetProperty("ok").GetBoolean());
        Assert.Equal("conflict", refused.GetProperty("error").GetProperty("code").GetString());
        var httpDuplicate = await (await http.PostAsJsonAsync($"/v1/runs/{runId}/events", new { seq = 5, stream = "assistant" })).ProblemAsync(409);
        Assert.Equal(httpDuplicate.Detail, refused.GetProperty("error").GetProperty("message").GetString());

        var got = await ws.PayloadAsync("runs.get", new { runId });
        Assert.Equal(11, got.GetProperty("lastSeq").GetInt64());
        AssertSame(await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}"), got);

        var recipients = await ws.PayloadAsync("runs.recipients", new { runId, add = new[] { "conn-2", "conn-1" } });
        var httpRecipients = await (await http.PostAsJsonAsync($"/v1/runs/{runId}/recipients", new { add = new[] { "conn-1" } })).Content.ReadFromJsonAsync<JsonElement>();
        AssertSame(httpRecipients, recipients);
        Assert.Equal(["conn-1", "conn-2"], recipients.GetProperty("recipients").EnumerateArray().Select(r => r.GetString()));

        var other = (await ws.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:ws-life", task = "second" })).GetProperty("run").GetProperty("runId").GetString()!;
        var listed = await ws.PayloadAsync("sessions.runs", new { sessionKey = "agent:ws-life" });
        AssertSame(await http.GetFromJsonAsync<JsonElement>("/v1/sessions/agent:ws-life/runs"), listed.GetProperty("runs"));
        Assert.Equal([runId, other], listed.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("runId").GetString()));

        var aborted = await ws.PayloadAsync("runs.abort", new { runId });
        Assert.Equal("aborted", aborted.GetProperty("status").GetString());
        AssertSame(await http.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}"), aborted);
        var abortAgain = await ws.ErrorAsync("runs.abort", new { runId }, "conflict");
        var httpAbortAgain = await (await http.PostAsync($"/v1/runs/{runId}/abort", null)).ProblemAsync(409);
        Assert.Equal(httpAbortAgain.Detail, abortAgain.GetProperty("message").GetString());

        var sessionAbort = await ws.PayloadAsync("sessions.abort", new { sessionKey = "agent:ws-life" });
        Assert.Equal([other], sessionAbort.GetProperty("aborted").EnumerateArray().Select(r => r.GetString()));
        AssertSame(await (await http.PostAsync("/v1/sessions/agent:ws-life/abort", null)).Content.ReadFromJsonAsync<JsonElement>(),
            await ws.PayloadAsync("sessions.abort", new { sessionKey = "agent:ws-life" }));

        var missing = "r" + runId[1..^4] + "zzzz";
        var notFound = await ws.ErrorAsync("runs.get", new { runId = missing }, "not_found");
        Assert.Equal((await (await http.GetAsync($"/v1/runs/{missing}")).ProblemAsync(404)).Detail, notFound.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Another_tenants_run_is_not_found_over_the_websocket()
    {
        await using var gateway = new KestrelGateway(redis);
        await using var a = await gateway.ConnectAsync(GatewayApiFactory.KeyA);
        await using var b = await gateway.ConnectAsync(GatewayApiFactory.KeyB);
        var runId = (await a.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:mine", task = "t" })).GetProperty("run").GetProperty("runId").GetString();

        await b.ErrorAsync("runs.get", new { runId }, "not_found");
        await b.ErrorAsync("runs.abort", new { runId }, "not_found");
        Assert.Empty((await b.PayloadAsync("sessions.runs", new { sessionKey = "agent:mine" })).GetProperty("runs").EnumerateArray());
        Assert.Equal("pending", (await a.PayloadAsync("runs.get", new { runId })).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Pipelined_requests_are_applied_in_frame_order_and_all_answered()
    {
        await using var gateway = new KestrelGateway(redis, new Dictionary<string, string> { ["Gateway:WebSocket:MaxInFlight"] = "8" });
        await using var ws = await gateway.ConnectAsync();
        var runId = (await ws.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:pipe", task = "t" })).GetProperty("run").GetProperty("runId").GetString();

        // 200 single-event requests sent back to back, none awaited: each seq must find the one before it stored.
        var ids = new List<string>();
        for (var seq = 1; seq <= 200; seq++)
        {
            ids.Add(await ws.SendAsync("runs.events", new { runId, events = new object[] { new { seq, stream = "assistant", data = seq } } }));
        }
        foreach (var id in ids)
        {
            var result = Assert.Single((await ws.AnswerAsync(id)).GetProperty("payload").GetProperty("results").EnumerateArray());
            Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        }
        Assert.Equal(200, (await ws.PayloadAsync("runs.get", new { runId })).GetProperty("lastSeq").GetInt64());
    }

    [Fact]
    public async Task A_closed_connection_logs_one_line_with_its_tenant_requests_pushes_and_reason()
    {
        await using var gateway = new KestrelGateway(redis, services: s => s.AddFakeLogging());
        await using (var ws = await gateway.ConnectAsync())
        {
            var runId = (await ws.PayloadAsync("runs.spawn", new { requesterSessionKey = "agent:logged", task = "t" })).GetProperty("run").GetProperty("runId").GetString();
            await ws.PayloadAsync("runs.abort", new { runId });
            await ws.PayloadAsync("runs.subscribe", new { runIds = new[] { runId } });
            await ws.NextPushAsync();
        }

        var logs = gateway.Api.Services.GetRequiredService<FakeLogCollector>();
        var line = await Eventually.ValueAsync(() => Task.FromResult(logs.GetSnapshot().SingleOrDefault(r => r.Category == typeof(Gateway.Api.WebSockets.WsConnection).FullName)),
            r => r is not null, "the connection's close is logged");
        Assert.Matches("^WebSocket .+ of tenant tenant-a closed \\(client_closed\\) after [0-9.]+ s: 3 requests, 1 pushes$", line!.Message);
    }

    private static void AssertSame(JsonElement http, JsonElement ws) =>
        Assert.True(JsonElement.DeepEquals(http, ws), $"HTTP: {http}\nWS:   {ws}");
}
