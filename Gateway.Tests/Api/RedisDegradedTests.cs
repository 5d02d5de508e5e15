using System.Net;
using System.Net.Http.Json;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.Tests.Api;

/// <summary>
/// Redis at its maxmemory (noeviction): writes answer 503 with Retry-After and store nothing, reads still answer,
/// and the sweeper can still free memory, so the gateway recovers by itself once runs fall due. Redis too slow
/// (every write paused past the client's timeout, or the whole server asleep): 503, then served again by itself.
/// Redis busy running another client's script: 503 that says so, nothing stored, served again when it ends.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class RedisDegradedTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    public Task InitializeAsync() => redis.FlushAsync();

    // the next test class on this server must not find it full
    public Task DisposeAsync() => SetMaxMemoryAsync(0);

    [Fact]
    public async Task Redis_full_answers_503_stores_nothing_and_the_sweeper_still_frees_memory()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero));
        await using var api = new GatewayApiFactory(redis, clock: clock);
        var client = api.ClientFor();
        var finished = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            var run = await client.SpawnAsync($"agent:full-{i}", mode: "session");
            await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "end" });
            finished.Add(run.RunId);
        }

        // Redis a little above what it holds, then filled to its maxmemory with live runs (noeviction: Redis refuses
        // every write that could grow it). used_memory moves with client buffers too, so the edge is found, not set.
        await redis.Admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
        await SetMaxMemoryAsync(await UsedMemoryAsync() + 64 * 1024);
        var full = await Eventually.ValueAsync(
            () => client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:filler", task = new string('x', 2000) }),
            response => response.StatusCode == HttpStatusCode.ServiceUnavailable, "spawns fill Redis to its maxmemory", poll: TimeSpan.Zero);
        Assert.Contains("Redis is full", (await full.ProblemAsync(503)).Detail);
        Assert.Equal(TimeSpan.FromSeconds(5), full.Headers.RetryAfter?.Delta);

        var before = await RedisFingerprint.OfAsync(redis);
        var refused = await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:one-more", task = "t" });
        await refused.ProblemAsync(503);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/runs/{finished[0]}")).StatusCode);

        // The runs fall due: the sweeper removes them although Redis is full, and spawns work again.
        clock.Advance(TimeSpan.FromMinutes(6));
        await api.Registry.SweepAllAsync();
        Assert.Equal(LookupOutcome.Gone, (await api.Registry.GetRunAsync("tenant-a", finished[0])).Outcome);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:one-more", task = "t" })).StatusCode);
    }

    [Fact]
    public async Task Redis_too_slow_answers_503_and_the_api_serves_again_when_it_answers()
    {
        // A client timeout well below the pause: Redis holding every write for 3 s is an outage to the API.
        await using var api = new GatewayApiFactory(redis, new Dictionary<string, string>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString + ",asyncTimeout=500,syncTimeout=500",
        });
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:slow");

        await redis.Admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "WRITE");
        var slow = await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:slow", task = "t" });
        Assert.Contains("Redis is unreachable", (await slow.ProblemAsync(503)).Detail);
        Assert.Equal(TimeSpan.FromSeconds(5), slow.Headers.RetryAfter?.Delta);

        await Eventually.ValueAsync(() => client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:slow", task = "after" }),
            response => response.StatusCode == HttpStatusCode.Created, "a spawn answers 201 once the pause is over",
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/runs/{run.RunId}")).StatusCode);
    }

    [Fact]
    public async Task Redis_busy_running_a_script_answers_503_stores_nothing_and_the_api_serves_again_when_it_ends()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:busy");
        await redis.Admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "busy-reply-threshold", "100");
        var before = await RedisFingerprint.OfAsync(redis);

        // Another client's script holds Redis for 2 s; past the threshold Redis answers every other command BUSY.
        var busy = redis.Admin.GetDatabase().ExecuteAsync("EVAL", """
            local function now() local t = redis.call('TIME') return t[1] * 1000000 + t[2] end
            local start = now()
            repeat until now() - start > 2000000
            return 1
            """, "0");
        var refused = await Eventually.ValueAsync(
            () => client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:busy", task = "t" }),
            response => response.StatusCode == HttpStatusCode.ServiceUnavailable, "a spawn meets the busy script", poll: TimeSpan.FromMilliseconds(20));
        Assert.Contains("Redis is busy running a script", (await refused.ProblemAsync(503)).Detail);
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        await busy;

        Assert.Equal(before, await RedisFingerprint.OfAsync(redis)); // the refused spawns stored nothing
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:busy", task = "after" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/runs/{run.RunId}")).StatusCode);
    }

    [Fact]
    public async Task Redis_asleep_answers_503_and_the_api_serves_again_when_it_wakes()
    {
        // DEBUG SLEEP stops the whole server, reads included (Debian's redis-server allows DEBUG only when told to).
        var sleepy = new RedisServer { ServerArguments = ["--enable-debug-command", "local"] };
        await sleepy.InitializeAsync();
        try
        {
            await using var api = new GatewayApiFactory(sleepy, new Dictionary<string, string>
            {
                ["ConnectionStrings:redis"] = sleepy.ConnectionString + ",asyncTimeout=500,syncTimeout=500",
            });
            var client = api.ClientFor();
            var run = await client.SpawnAsync("agent:asleep");

            var asleep = sleepy.Admin.GetDatabase().ExecuteAsync("DEBUG", "SLEEP", "3");
            await Eventually.ValueAsync(() => client.GetAsync($"/v1/runs/{run.RunId}"),
                response => response.StatusCode == HttpStatusCode.ServiceUnavailable, "a read meets the sleeping server",
                poll: TimeSpan.FromMilliseconds(20));
            var slow = await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:asleep", task = "t" });
            Assert.Contains("Redis is unreachable", (await slow.ProblemAsync(503)).Detail);
            Assert.NotNull(slow.Headers.RetryAfter);
            await asleep;

            await Eventually.ValueAsync(() => client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:asleep", task = "after" }),
                response => response.StatusCode == HttpStatusCode.Created, "a spawn answers 201 once Redis wakes",
                TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));
        }
        finally
        {
            await sleepy.DisposeAsync();
        }
    }

    private async Task<long> UsedMemoryAsync()
    {
        var info = await redis.Server.InfoAsync("memory");
        return long.Parse(info.SelectMany(g => g).Single(p => p.Key == "used_memory").Value);
    }

    private Task SetMaxMemoryAsync(long bytes) =>
        redis.Admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "maxmemory", bytes.ToString());
}
