using System.Text;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// One hash-tagged slice of every registry: all keys of a shard share the tag <c>{NN}</c>, so each script
/// touches one Redis Cluster slot. A session's runs, log and dedupe keys all live in the session's shard,
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

    // Crockford's base32 in lower case (no i, l, o, u): 5 bits a character.
    private const string Base32 = "0123456789abcdefghjkmnpqrstvwxyz";
    private const int TimeBits = 45, RandomBits = 45, IdLength = 2 + (TimeBits + RandomBits) / 5;

    /// <summary>A new run id: the shard in two hex digits, then 18 base32 characters of a 45-bit millisecond
    /// time (ordered until the year 3084) and 45 random bits. 20 characters, where a GUID took 32: the id is
    /// stored about ten times per run (its key, index entries, run list, every log entry, its tombstone).</summary>
    public static string NewRunId(Shard shard, DateTimeOffset now)
    {
        var time = (UInt128)(ulong)now.ToUnixTimeMilliseconds() & ((1UL << TimeBits) - 1);
        var random = (UInt128)(ulong)Random.Shared.NextInt64(1L << RandomBits);
        var bits = (time << RandomBits) | random;
        return string.Create(IdLength, (shard.Number, bits), static (chars, state) =>
        {
            chars[0] = Base32[state.Number >> 4];
            chars[1] = Base32[state.Number & 0xf];
            for (var i = chars.Length - 1; i >= 2; i--, state.bits >>= 5) chars[i] = Base32[(int)(state.bits & 31)];
        });
    }

    /// <summary>Whether a string has the form of a run id (this layout, or the 34-hex-digit one of earlier
    /// versions, still read during a rolling upgrade), whatever the shard count.</summary>
    public static bool IsWellFormed(string runId) =>
        runId.Length >= 2 && char.IsAsciiHexDigitLower(runId[0]) && char.IsAsciiHexDigitLower(runId[1]) && runId.Length switch
        {
            IdLength => runId.AsSpan(2).IndexOfAnyExcept(Base32) < 0,
            34 => runId.All(char.IsAsciiHexDigitLower),
            _ => false,
        };

    public static bool TryFromRunId(string runId, int shards, out Shard shard)
    {
        shard = default;
        if (!IsWellFormed(runId)) return false;
        var number = Convert.ToInt32(runId[..2], 16);
        if (number >= shards) return false;
        shard = new Shard(number);
        return true;
    }
}
