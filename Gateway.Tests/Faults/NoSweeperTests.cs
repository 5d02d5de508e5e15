using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Faults;

/// <summary>
/// The "no sweeper at all" fault: seed traffic with the default retention on a fake clock (hours of traffic in
/// seconds; Redis' own TTLs run on its real clock, so no key expires by itself here) and no sweep. Every write
/// retires what is due on its shard, so at every sample nothing is overdue longer than the time since its
/// shard's last write, and memory is flat once the longest retention has passed. GATEWAY_SOAK=1 runs the long
/// variant and the two references: a sweep every second, and no retirement (RetirePerWrite = 0).
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class NoSweeperTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private static readonly bool Soak = Environment.GetEnvironmentVariable("GATEWAY_SOAK") == "1";

    // CI: a ticket (two session runs) every 4 s for 2.5 h, past the longest chain of the workload (a run that
    // never ends: 30 min idle lease, 5 min archive, 1 h tombstone); the soak: one a second for 4 h.
    private static readonly (TimeSpan Every, TimeSpan For) Traffic = Soak
        ? (TimeSpan.FromSeconds(1), TimeSpan.FromHours(4))
        : (TimeSpan.FromSeconds(4), TimeSpan.FromHours(2.5));

    private static readonly TimeSpan SampleEvery = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Seed_traffic_with_no_sweeper_keeps_every_registry_within_its_retention()
    {
        var samples = await RunAsync(new RegistryOptions(), sweep: false);
        Assert.All(samples, s => Assert.True(s.Lag <= s.LagBound, $"at {s.At}: overdue {s.Lag}, the shard's last write {s.LagBound} ago"));
        // flat once the longest chain has passed: the last hour holds what the hour before it did
        var steady = samples.Where(s => s.At >= TimeSpan.FromHours(1.75)).ToList();
        Assert.True(steady.Max(s => s.Keys) <= 1.15 * steady.Min(s => s.Keys), $"keys {steady.Min(s => s.Keys)}..{steady.Max(s => s.Keys)}");
        if (!Soak) return;
        await RunAsync(new RegistryOptions(), sweep: true);
        await RunAsync(new RegistryOptions { RetirePerWrite = 0 }, sweep: false);
    }

    [Fact]
    public async Task Without_retirement_and_with_no_sweeper_due_entries_pile_up()
    {
        // the contrast that shows the test above can fail: only the caps and the keys' TTLs (25 h) would bound it
        var samples = await RunAsync(new RegistryOptions { RetirePerWrite = 0 }, sweep: false, TimeSpan.FromHours(1));
        Assert.True(samples[^1].Lag > TimeSpan.FromMinutes(30), $"overdue {samples[^1].Lag}");
        Assert.True(samples[^1].Keys > 1.5 * samples[samples.Count / 2].Keys, $"keys {samples[samples.Count / 2].Keys} then {samples[^1].Keys}");
    }

    private sealed record Sample(TimeSpan At, TimeSpan Lag, TimeSpan LagBound, long Keys, long UsedMemory, long Runs, long Tombstones);

    private async Task<List<Sample>> RunAsync(RegistryOptions options, bool sweep, TimeSpan? length = null)
    {
        await using var h = await RegistryHarness.CreateAsync(redis, options);
        // every script in Redis' script cache before the baseline (it is in used_memory), then nothing else
        for (var n = 0; n < 5; n++) await SessionRunAsync(h, "agent:warm-up", n);
        await h.Registry.SweepAllAsync();
        await h.Registry.SnapshotAsync();
        await redis.FlushAsync();
        var start = h.Clock.GetUtcNow();
        var end = start + (length ?? Traffic.For);
        var baseMemory = await UsedMemoryAsync();
        var lastWrite = new DateTimeOffset?[options.Shards];
        var samples = new List<Sample>();
        var nextSample = start + SampleEvery;
        var nextSweep = start + TimeSpan.FromSeconds(1);
        for (var ticket = 0; h.Clock.GetUtcNow() < end; ticket++)
        {
            var now = h.Clock.GetUtcNow();
            var session = $"agent:ticket-{ticket}";
            for (var run = 0; run < 2; run++) await SessionRunAsync(h, session, 2 * ticket + run);
            lastWrite[Shard.ForSession("t1", session, options.Shards).Number] = now;
            h.Clock.Advance(Traffic.Every);
            while (sweep && h.Clock.GetUtcNow() >= nextSweep)
            {
                await h.Registry.SweepAllAsync();
                nextSweep += TimeSpan.FromSeconds(1);
            }
            if (h.Clock.GetUtcNow() < nextSample) continue;
            nextSample += SampleEvery;
            var at = h.Clock.GetUtcNow();
            var snapshot = await h.Registry.SnapshotAsync();
            var sample = new Sample(at - start, snapshot.Lag, lastWrite.Max(w => at - (w ?? start)),
                await redis.KeyCountAsync(), await UsedMemoryAsync() - baseMemory,
                snapshot[Registries.Runs].Entries, snapshot[Registries.Tombstones].Entries);
            samples.Add(sample);
            output.WriteLine($"retire={options.RetirePerWrite} sweep={sweep} {sample}");
        }
        return samples;
    }

    /// <summary>One session-mode run of the seed's workload: spawn, start, three assistant events, then out of
    /// every 20: 15 end, 2 error with no end, 2 nothing more, 1 aborted.</summary>
    private static async Task SessionRunAsync(RegistryHarness h, string session, int n)
    {
        var id = await h.SpawnAsync(session, SpawnMode.Session);
        await Accept(h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.Start, 1)));
        for (var seq = 2; seq <= 4; seq++) await Accept(h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", seq, "hello")));
        switch (n % 20)
        {
            case 0 or 1: await Accept(h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.Error, 5, "boom"))); break;
            case 2 or 3: break;
            case 4: Assert.Equal(AbortOutcome.Aborted, (await h.Registry.AbortRunAsync("t1", id)).Outcome); break;
            default: await Accept(h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.End, 5))); break;
        }
    }

    private static async Task Accept(Task<EventResult> append) => Assert.Equal(EventOutcome.Accepted, (await append).Outcome);

    private async Task<long> UsedMemoryAsync()
    {
        var info = await redis.Server.InfoAsync("memory");
        return long.Parse(info.SelectMany(g => g).Single(p => p.Key == "used_memory").Value);
    }
}
