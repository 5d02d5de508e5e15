using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Sweeper;

public sealed class SweeperOutageTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task The_sweeper_survives_a_Redis_outage_and_resumes_sweeping_without_a_restart()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        await using var host = await new SweeperHost(redis, h.Clock).StartAsync();
        using var evictions = host.Collect<long>("gateway.registry.evictions");
        using var client = host.CreateClient();
        Assert.Equal(16, host.Leases.Held.Count);

        await redis.StopAsync();
        for (var pass = 0; pass < 3; pass++) await SweeperHost.TickAsync(h.Clock, host);
        var warning = Assert.Single(host.SweeperLogs(LogLevel.Warning));
        Assert.Contains("logged once per outage", warning.Message);
        Assert.Equal(2, host.SweeperLogs(LogLevel.Debug).Count(r => r.Id.Id == 5));
        var unhealthy = await client.GetAsync("/health");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);

        // Redis comes back empty (no persistence): the sweeper reconnects, re-takes its leases and sweeps.
        await redis.StartAsync();
        await Eventually.TrueAsync(async () =>
        {
            await SweeperHost.TickAsync(h.Clock, host);
            return host.SweeperLogs(LogLevel.Information).Any(r => r.Id.Id == 6);
        }, "the sweeper resumes (its 'resumed' line) after Redis restarted");
        Assert.Single(host.SweeperLogs(LogLevel.Warning));
        Assert.Equal(16, host.Leases.Held.Count);

        var id = await h.SpawnAsync();
        await h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.Start, 1));
        await h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.End, 2));
        await SweeperHost.TickAsync(h.Clock, h.Options.RunArchiveAfterEnd + TimeSpan.FromSeconds(1), host);
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", id)).Outcome);
        Assert.Equal(1, evictions.Evicted(Registries.Runs));
        Assert.Equal("Healthy", await client.GetStringAsync("/health"));
    }
}
