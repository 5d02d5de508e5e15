using Gateway.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Sweeper;

/// <summary>
/// One sweep pass: refresh the leases, sweep each held shard in bounded batches while more is due, then
/// (at most once per SnapshotInterval) take a registry snapshot for the entries and lag gauges.
/// </summary>
public sealed class SweepPass(RunRegistry registry, RegistryMetrics metrics, ShardLeases leases,
    IOptions<SweeperOptions> sweeperOptions, TimeProvider time)
{
    private readonly SweeperOptions options = sweeperOptions.Value;
    private DateTimeOffset? lastSnapshot;

    public async Task<PassReport> RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var leaseChanges = await leases.RefreshAsync();
        var evictions = new Dictionary<(string Registry, string Reason), long>();
        var backlog = new List<int>();
        foreach (var shard in leases.Held)
        {
            SweepResult? result = null;
            for (var batch = 0; batch < options.MaxBatchesPerShardPerPass && leases.AreTrusted; batch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                result = await registry.SweepShardAsync(shard);
                foreach (var e in result.Evictions)
                {
                    evictions[(e.Registry, e.Reason)] = evictions.GetValueOrDefault((e.Registry, e.Reason)) + e.Count;
                }
                if (!result.More) break;
            }
            if (result is null or { More: true }) backlog.Add(shard);
        }

        var snapshot = await SnapshotIfDueAsync();
        var duration = time.GetElapsedTime(started);
        metrics.SweepPass(duration);
        return new PassReport(leases.Held, leaseChanges, evictions, backlog, duration, snapshot ?? metrics.Latest);
    }

    private async Task<RegistrySnapshot?> SnapshotIfDueAsync()
    {
        var now = time.GetUtcNow();
        if (lastSnapshot is { } last && now - last < options.SnapshotInterval) return null;
        var snapshot = await registry.SnapshotAsync();
        metrics.Observe(snapshot);
        lastSnapshot = now;
        return snapshot;
    }
}

/// <summary>What a pass did: the shards held, lease changes, evictions by registry and reason, shards left
/// with due entries for the next pass, its duration, and the latest registry snapshot.</summary>
public sealed record PassReport(
    IReadOnlyList<int> ShardsHeld,
    LeaseChanges Leases,
    IReadOnlyDictionary<(string Registry, string Reason), long> Evictions,
    IReadOnlyList<int> Backlog,
    TimeSpan Duration,
    RegistrySnapshot? Snapshot)
{
    public long Evicted => Evictions.Values.Sum();

    public bool DidSomething => Evicted > 0 || Leases.Any;

    public TimeSpan Lag => Snapshot?.Lag ?? TimeSpan.Zero;

    /// <summary>"runs/ttl=3 tombstones/ttl=3": the evictions in one log field.</summary>
    public string EvictionSummary => string.Join(' ', Evictions.OrderBy(e => e.Key)
        .Select(e => $"{e.Key.Registry}/{e.Key.Reason}={e.Value}"));
}
