using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// The Lua scripts that are the only writers of registry state (Scripts/*.lua, each prefixed with
/// prelude.lua). One call is one atomic change of one shard: a crash never leaves half an operation.
/// </summary>
public sealed class RegistryScripts(IConnectionMultiplexer redis, RetentionPolicy policy, TimeProvider time)
{
    public const string Spawn = "spawn", Event = "event", Abort = "abort", Recipients = "recipients",
        Sweep = "sweep", Snapshot = "snapshot", Events = "events";

    private static readonly Dictionary<string, Script> Scripts = Load(Spawn, Event, Abort, Recipients, Sweep, Snapshot, Events);

    public RetentionPolicy Policy => policy;

    public TimeProvider Time => time;

    public IDatabase Database => redis.GetDatabase();

    /// <summary>Runs a script on a shard. "now" and the retention policy always go first, so a script can
    /// never write without deadlines.</summary>
    public Task<RedisResult[]> RunAsync(string script, Shard shard, params RedisValue[] args) =>
        RunAsync(script, shard, time.GetUtcNow(), args);

    /// <summary>As above, at a "now" the caller already used to compute a deadline it passes.</summary>
    public async Task<RedisResult[]> RunAsync(string script, Shard shard, DateTimeOffset now, params RedisValue[] args)
    {
        var argv = new RedisValue[args.Length + 2];
        argv[0] = now.ToUnixTimeMilliseconds();
        argv[1] = policy.Encoded;
        args.CopyTo(argv, 2);
        var db = redis.GetDatabase();
        var (source, sha1) = Scripts[script];
        RedisKey[] keys = [shard.Prefix];
        try
        {
            // EVALSHA by a hash computed once: the client's own script cache would hash the whole source
            // (about 10 KB with the prelude) on every call, which was the API's hottest method under load.
            return (RedisResult[])(await db.ScriptEvaluateAsync(sha1, keys, argv))!;
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // Redis restarted or flushed its scripts: nothing ran. EVAL runs the script and caches it again.
            return (RedisResult[])(await db.ScriptEvaluateAsync(source, keys, argv))!;
        }
    }

    private sealed record Script(string Source, byte[] Sha1);

    private static Dictionary<string, Script> Load(params string[] names)
    {
        var prelude = Read("prelude");
        return names.ToDictionary(n => n, n =>
        {
            var source = prelude + "\n" + Read(n);
            return new Script(source, SHA1.HashData(Encoding.UTF8.GetBytes(source)));
        });
    }

    private static string Read(string name)
    {
        using var stream = typeof(RegistryScripts).Assembly.GetManifestResourceStream($"Gateway.Registry.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"Embedded script {name}.lua is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Reads the "registry:reason", n pairs that follow a reply's head.</summary>
    public static IReadOnlyList<Eviction> Evictions(RedisResult[] reply, int headLength)
    {
        var list = new List<Eviction>();
        for (var i = headLength; i + 1 < reply.Length; i += 2)
        {
            var parts = ((string)reply[i]!).Split(':');
            list.Add(new Eviction(parts[0], parts[1], (long)reply[i + 1]));
        }
        return list;
    }

    internal static long Long(RedisResult r) => long.Parse((string)r!, CultureInfo.InvariantCulture);
}

/// <summary>n entries of a registry removed (or finalized) for a reason.</summary>
public readonly record struct Eviction(string Registry, string Reason, long Count);
