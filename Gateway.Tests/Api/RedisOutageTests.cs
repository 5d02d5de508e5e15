using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Api;

public sealed class RedisOutageTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Redis_down_answers_503_and_the_api_recovers_by_itself_when_it_returns()
    {
        await using var api = new GatewayApiFactory(redis);
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:outage");

        await redis.StopAsync();
        var outage = Stopwatch.StartNew();
        try
        {
            var down = await client.GetAsync($"/v1/runs/{run.RunId}");
            Assert.Contains("Redis is unreachable", (await down.ProblemAsync(503)).Detail);
            Assert.Equal(TimeSpan.FromSeconds(5), down.Headers.RetryAfter?.Delta);
            var spawn = await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:outage", task = "t" });
            await spawn.ProblemAsync(503);
            Assert.NotNull(spawn.Headers.RetryAfter);
            await (await client.GetAsync("/v1/sessions/agent:outage/events")).ProblemAsync(503);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);
            output.WriteLine($"four 503 answers in {outage.Elapsed.TotalSeconds:F1} s while Redis was down");
        }
        finally
        {
            await redis.StartAsync();
        }

        var recovery = Stopwatch.StartNew();
        await Eventually.ValueAsync(() => client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:outage", task = "after" }),
            response => response.StatusCode == HttpStatusCode.Created, "a spawn answers 201 again after Redis restarted",
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));
        output.WriteLine($"serving again {recovery.Elapsed.TotalSeconds:F1} s after Redis restarted");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }
}
