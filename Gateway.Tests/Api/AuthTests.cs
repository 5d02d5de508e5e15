using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Api;

public sealed class AuthTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-key")]
    [InlineData("Bearer test-key-tenant-a-5f1c9")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    public async Task Without_a_valid_key_every_v1_endpoint_answers_401(string? authorization)
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor(key: null);
        if (authorization is not null) client.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(authorization);
        var before = await RedisFingerprint.OfAsync(redis);

        foreach (var response in new[]
        {
            await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "a", task = "t" }),
            await client.GetAsync("/v1/runs/00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            await client.GetAsync("/v1/sessions/a/runs"),
            await client.GetAsync("/v1/sessions/a/events"),
            await client.GetAsync("/v1/registry"),
        })
        {
            Assert.Contains("Authorization: Bearer", (await response.ProblemAsync(401)).Detail);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    [Fact]
    public async Task Health_and_liveness_are_open()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor(key: null);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_sees_nothing_of_another_tenants_runs_and_sessions()
    {
        await using var api = new GatewayApiFactory(redis);
        var a = api.ClientFor(GatewayApiFactory.KeyA);
        var b = api.ClientFor(GatewayApiFactory.KeyB);
        var run = await a.SpawnAsync("agent:shared-name");
        await a.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        var before = await RedisFingerprint.OfAsync(redis);

        await (await b.GetAsync($"/v1/runs/{run.RunId}")).ProblemAsync(404);
        await (await b.EventAsync(run.RunId, new { seq = 2, stream = "assistant" })).ProblemAsync(404);
        await (await b.GetAsync($"/v1/runs/{run.RunId}/wait?timeoutMs=10")).ProblemAsync(404);
        await (await b.PostAsync($"/v1/runs/{run.RunId}/abort", null)).ProblemAsync(404);
        await (await b.PostAsJsonAsync($"/v1/runs/{run.RunId}/recipients", new { add = new[] { "c" } })).ProblemAsync(404);
        Assert.Empty((await b.GetFromJsonAsync<List<RunResponse>>("/v1/sessions/agent:shared-name/runs", GatewayApiFactory.Json))!);
        var abort = await (await b.PostAsync("/v1/sessions/agent:shared-name/abort", null)).Content.ReadFromJsonAsync<SessionAbortResponse>(GatewayApiFactory.Json);
        Assert.Empty(abort!.Aborted);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));

        // B's own session of the same name is separate: its stream holds only B's events.
        var own = await b.SpawnAsync("agent:shared-name");
        await b.AcceptedAsync(own.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        var events = await SseReader.ReadAsync(b, "/v1/sessions/agent:shared-name/events", 1);
        Assert.Equal(own.RunId, events.Single().Data.GetProperty("runId").GetString());
        Assert.Equal([own.RunId], (await b.GetFromJsonAsync<List<RunResponse>>("/v1/sessions/agent:shared-name/runs", GatewayApiFactory.Json))!.Select(r => r.RunId));
        Assert.Equal(RunStatus.Running, (await a.RunAsync(run.RunId)).Status);
    }
}
