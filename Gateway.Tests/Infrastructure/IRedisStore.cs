using StackExchange.Redis;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The Redis a registry test runs against: one redis-server (<see cref="RedisServer"/>) or a Redis Cluster
/// (<see cref="RedisCluster"/>). Whole-store questions (flush, key count, every key) cover every master.
/// </summary>
public interface IRedisStore
{
    /// <summary>What a client connects with (a cluster's: its masters, from which the client finds the rest).</summary>
    string ConnectionString { get; }

    Task FlushAsync();

    Task<long> KeyCountAsync();

    /// <summary>Every key in the store.</summary>
    IEnumerable<RedisKey> Keys();
}
