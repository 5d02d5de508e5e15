using System.Net;
using Gateway.Registry;
using Gateway.Sweeper;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Sweeper;

public sealed class SweeperHealthTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Health_is_degraded_while_due_entries_wait_longer_than_the_threshold()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        // A stuck sweeper elsewhere holds every shard, so this one may sweep nothing.
        var db = redis.Admin.GetDatabase();
        for (var s = 0; s < 16; s++) await db.StringSetAsync(ShardLeases.LeaseKey(s), "stuck-sweeper", TimeSpan.FromMinutes(5));
        var id = await h.SpawnAsync();
        await h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.Start, 1));
        await h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.End, 2));

        await using var host = await new SweeperHost(redis, h.Clock, ("Sweeper:DegradedLag", "00:00:30")).StartAsync();
        using var client = host.CreateClient();
        Assert.Equal("Healthy", await client.GetStringAsync("/health"));

        await SweeperHost.TickAsync(h.Clock, h.Options.RunArchiveAfterEnd + TimeSpan.FromSeconds(29), host);
        Assert.Empty(host.Leases.Held);
        Assert.Equal("Healthy", await client.GetStringAsync("/health"));

        await SweeperHost.TickAsync(h.Clock, TimeSpan.FromSeconds(2), host);
        var degraded = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
        Assert.Equal("Degraded", await degraded.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", await client.GetStringAsync("/alive"));

        // The stuck holder goes away: this sweeper takes the shards, sweeps, and is healthy again.
        for (var s = 0; s < 16; s++) await db.KeyDeleteAsync(ShardLeases.LeaseKey(s));
        await SweeperHost.TickAsync(h.Clock, host);
        Assert.Equal(16, host.Leases.Held.Count);
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", id)).Outcome);
        Assert.Equal("Healthy", await client.GetStringAsync("/health"));
    }

    [Theory]
    [InlineData("Sweeper:Interval", "00:00:00", "Sweeper:Interval must be positive")]
    [InlineData("Sweeper:LeaseDuration", "00:00:02", "Sweeper:LeaseDuration must be at least 3 x Sweeper:Interval")]
    [InlineData("Sweeper:MaxBatchesPerShardPerPass", "0", "Sweeper:MaxBatchesPerShardPerPass must be at least 1")]
    public async Task Invalid_settings_stop_the_sweeper_at_start_naming_the_key(string key, string value, string message)
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        await using var host = new SweeperHost(redis, h.Clock, (key, value));
        var error = Assert.Throws<OptionsValidationException>(() => host.Services);
        Assert.Contains(message, error.Message);
    }
}
