using System.Text;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// One hash-tagged slice of every registry: all keys of a shard share the tag <c>{NN}</c>, so each script
/// touches one Redis Cluster slot. A session's runs, stream and dedupe keys all live in the session's shard,
/// and a run id carries its shard in its first two hex digits.
/// </summary>
public readonly record struct Shard(int Number)
{
    public RedisKey Prefix => $"gw:{{{Number:x2}}}:";

    public RedisKey Key(string name) => $"gw:{{{Number:x2}}}:{name}";

    public static Shard ForSession(string tenant, string sessionKey, int shards)
    {
        // FNV-1a: stable across processes and versions (string.GetHashCode is randomized per process).
        uint hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes($"{tenant}/{sessionKey}"))
        {
            hash = (hash ^ b) * 16777619;
        }
        return new Shard((int)(hash % (uint)shards));
    }

    public static string NewRunId(Shard shard) => $"{shard.Number:x2}{Guid.CreateVersion7():N}";

    public static bool TryFromRunId(string runId, int shards, out Shard shard)
    {
        shard = default;
        if (runId.Length != 34 || !runId.All(char.IsAsciiHexDigitLower)) return false;
        var number = Convert.ToInt32(runId[..2], 16);
        if (number >= shards) return false;
        shard = new Shard(number);
        return true;
    }
}
