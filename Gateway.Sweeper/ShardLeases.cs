using Gateway.Registry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Sweeper;

/// <summary>
/// Splits the registry shards between the live sweepers with one lease per shard in Redis
/// (<c>gw:{NN}:lease</c> = holder id, PX = LeaseDuration). A lease is taken only when free and renewed only
/// by its holder, so a shard never has two holders; it expires when its holder dies, so no shard is
/// forgotten. Each instance aims for ceil(shards / live sweepers), live sweepers being those whose
/// heartbeat in <c>gw:sweepers</c> has not expired. Lease times are Redis's real time (process liveness),
/// not the registry's clock. Only the sweep loop calls the mutating methods.
/// </summary>
public sealed class ShardLeases(IConnectionMultiplexer redis, IOptions<SweeperOptions> sweeperOptions,
    IOptions<RegistryOptions> registryOptions, TimeProvider time)
{
    public const string SweepersKey = "gw:sweepers";

    // Take the lease if it is free, renew it if it is ours; anyone else's lease is left alone.
    private const string ClaimScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    // Members scored by their expiry on Redis's clock; the set itself expires with its last member.
    private const string HeartbeatScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local ttl = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
        redis.call('ZADD', KEYS[1], string.format('%d', now + ttl), ARGV[1])
        if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
        return redis.call('ZCARD', KEYS[1])
        """;

    private readonly int shards = registryOptions.Value.Shards;
    private readonly SweeperOptions options = sweeperOptions.Value;
    // Instances start their search for free shards at different places, so they rarely race for the same one.
    private readonly int searchStart = Random.Shared.Next(registryOptions.Value.Shards);
    private IReadOnlyList<int> held = [];
    private long renewedAt;

    /// <summary>This sweeper's id, the value of the leases it holds.</summary>
    public string InstanceId { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The shards this instance holds, ascending. A shard is added only after its lease was taken
    /// and removed before it is released, so this set never claims a shard someone else holds.</summary>
    public IReadOnlyList<int> Held => Volatile.Read(ref held);

    /// <summary>Whether the leases were renewed recently enough to sweep under them: for half their duration,
    /// so a pass stalled by a slow Redis stops before another sweeper could take its shards.</summary>
    public bool AreTrusted => renewedAt != 0 && time.GetElapsedTime(renewedAt) < options.LeaseDuration / 2;

    private IDatabase Db => redis.GetDatabase();

    public static RedisKey LeaseKey(int shard) => new Shard(shard).Key("lease");

    /// <summary>Heartbeat, renew what is held, give back the surplus over the fair share, then take free
    /// shards up to it.</summary>
    public async Task<LeaseChanges> RefreshAsync()
    {
        var started = time.GetTimestamp();
        var live = (int)await Db.ScriptEvaluateAsync(HeartbeatScript, [SweepersKey], [InstanceId, Ms(options.LeaseDuration)]).OrLostAsync(redis);
        var fairShare = (shards + live - 1) / Math.Max(live, 1);

        var renewed = await Task.WhenAll(Held.Select(async shard => (Shard: shard, Ours: await ClaimAsync(shard))));
        var mine = renewed.Where(r => r.Ours).Select(r => r.Shard).ToList();
        var lost = renewed.Where(r => !r.Ours).Select(r => r.Shard).ToList();
        Publish(mine);

        var released = new List<int>();
        while (mine.Count > fairShare)
        {
            var surplus = mine[^1];
            mine.RemoveAt(mine.Count - 1);
            Publish(mine);
            await ReleaseAsync(surplus);
            released.Add(surplus);
        }

        var acquired = new List<int>();
        for (var i = 0; i < shards && mine.Count < fairShare; i++)
        {
            var shard = (searchStart + i) % shards;
            if (mine.Contains(shard) || !await ClaimAsync(shard)) continue;
            mine.Add(shard);
            Publish(mine);
            acquired.Add(shard);
        }

        renewedAt = started;
        return new LeaseChanges(live, fairShare, acquired, released, lost);
    }

    /// <summary>Graceful shutdown: hand every shard back and leave the live set, so others take over now
    /// rather than after LeaseDuration.</summary>
    public async Task ReleaseAllAsync()
    {
        var shardsHeld = Held;
        Publish([]);
        renewedAt = 0;
        await Task.WhenAll(shardsHeld.Select(ReleaseAsync));
        await Db.SortedSetRemoveAsync(SweepersKey, InstanceId).OrLostAsync(redis);
    }

    private async Task<bool> ClaimAsync(int shard) =>
        (int)await Db.ScriptEvaluateAsync(ClaimScript, [LeaseKey(shard)], [InstanceId, Ms(options.LeaseDuration)]).OrLostAsync(redis) == 1;

    private Task ReleaseAsync(int shard) => Db.ScriptEvaluateAsync(ReleaseScript, [LeaseKey(shard)], [InstanceId]).OrLostAsync(redis);

    private void Publish(List<int> shardsHeld) => Volatile.Write(ref held, shardsHeld.Order().ToArray());

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;
}

/// <summary>What one lease refresh changed: live sweepers seen, this instance's fair share, and the shards
/// it acquired, released (surplus) and lost (its lease had expired and someone else took it).</summary>
public sealed record LeaseChanges(int LiveSweepers, int FairShare, IReadOnlyList<int> Acquired,
    IReadOnlyList<int> Released, IReadOnlyList<int> Lost)
{
    public bool Any => Acquired.Count + Released.Count + Lost.Count > 0;
}
