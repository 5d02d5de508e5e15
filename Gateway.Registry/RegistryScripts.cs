using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// The Lua scripts that are the only writers of registry state (Scripts/*.lua, each prefixed with
/// prelude.lua): batch.lua applying operations (one file each), sweep.lua and snapshot.lua. A call runs without
/// interruption on one shard, and each operation in it is atomic: a crash never leaves half an operation.
/// </summary>
public sealed class RegistryScripts(IConnectionMultiplexer redis, RetentionPolicy policy, TimeProvider time)
{
    /// <summary>The operations a batch applies (OPS.name in Lua, one file each), and the scripts called alone.</summary>
    public const string Spawn = "spawn", Event = "event", Abort = "abort", Recipients = "recipients",
        Events = "events", Get = "get", List = "list", Sweep = "sweep", Snapshot = "snapshot";

    private const string Batch = "batch";

    private static readonly string[] Operations = [Spawn, Event, Abort, Recipients, Events, Get, List];

    // A batch of one kind of operation (a run's events, a lone spawn) runs a batch script that holds only that
    // operation: Lua defines every function of a script on each call, and the other six cost 15% more Redis
    // instructions per single-operation call (callgrind). A mixed batch runs the script that holds them all.
    private static readonly Dictionary<string, Script> Scripts = Operations
        .ToDictionary(op => $"{Batch}:{op}", op => Compose(Batch, op))
        .Append(new($"{Batch}:*", Compose(Batch, Operations)))
        .Append(new(Sweep, Compose(Sweep)))
        .Append(new(Snapshot, Compose(Snapshot)))
        .ToDictionary();

    public RetentionPolicy Policy => policy;

    public TimeProvider Time => time;

    /// <summary>Runs a script on a shard. "now" and the retention policy always go first, so a script can
    /// never write without deadlines.</summary>
    public async Task<ScriptReply> RunAsync(string script, Shard shard) =>
        ScriptReply.From(await EvaluateAsync(script, shard, [time.GetUtcNow().ToUnixTimeMilliseconds(), policy.Encoded]));

    /// <summary>Applies operations of one shard in order with one script call (batch.lua); each operation runs at
    /// its own time. Returns each one's reply, in order (outcome "error" with Redis' message: that operation was
    /// refused), and the evictions they made together.</summary>
    public async Task<(ScriptReply[] Replies, IReadOnlyList<Eviction> Evictions)> RunBatchAsync(Shard shard, IReadOnlyList<Operation> operations)
    {
        var argv = new RedisValue[2 + operations.Sum(o => 3 + o.Args.Length)];
        var (i, latest) = (2, long.MinValue);
        foreach (var op in operations)
        {
            argv[i++] = op.Name;
            argv[i++] = op.Now;
            argv[i++] = op.Args.Length;
            op.Args.CopyTo(argv, i);
            i += op.Args.Length;
            latest = Math.Max(latest, op.Now);
        }
        argv[0] = latest;
        argv[1] = policy.Encoded;
        var kind = operations.All(o => o.Name == operations[0].Name) ? operations[0].Name : "*";
        var batch = ScriptReply.From(await EvaluateAsync($"{Batch}:{kind}", shard, argv));
        var replies = new ScriptReply[operations.Count];
        for (var j = 0; j < replies.Length; j++)
        {
            var each = (RedisResult[])batch.Values[j]!;
            replies[j] = new ScriptReply((string)each[0]!, (RedisResult[])each[1]!, []);
        }
        return (replies, batch.Evictions);
    }

    private async Task<RedisResult> EvaluateAsync(string script, Shard shard, RedisValue[] argv)
    {
        var db = redis.GetDatabase();
        var (source, sha1) = Scripts[script];
        RedisKey[] keys = [shard.Prefix];
        try
        {
            // EVALSHA by a hash computed once: the client's own script cache would hash the whole source
            // (about 10 KB with the prelude) on every call, which was the API's hottest method under load.
            return await db.ScriptEvaluateAsync(sha1, keys, argv);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // Redis restarted or flushed its scripts: nothing ran. EVAL runs the script and caches it again.
            return await db.ScriptEvaluateAsync(source, keys, argv);
        }
    }

    private sealed record Script(string Source, byte[] Sha1);

    /// <summary>A script's source: its flags line (if any) first, then the prelude, the operation files it
    /// applies, and its own body.</summary>
    private static Script Compose(string name, params string[] operations)
    {
        // A script's flags (its "#!lua flags=..." line) must open the whole source: they go before the prelude.
        var own = Read(name);
        var flags = own.StartsWith("#!", StringComparison.Ordinal) ? own[..(own.IndexOf('\n') + 1)] : "";
        var source = flags + GeneratedHeader() + Read("prelude") + "\n" +
            string.Concat(operations.Select(o => Read(o) + "\n")) + own[flags.Length..];
        return new Script(source, SHA1.HashData(Encoding.UTF8.GetBytes(source)));
    }

    /// <summary>The contracts stated in C#, as Lua: the policy's field names in the order their values are
    /// sent (<see cref="RetentionPolicy.Fields"/>), the deadline indexes (<see cref="Registries.Indexes"/>), and
    /// the run record's layout (<see cref="RunRecordLayout"/>).</summary>
    public static string GeneratedHeader() =>
        "-- Generated by RegistryScripts.cs from RetentionPolicy.Fields, Registries.Indexes and RunRecordLayout.\n" +
        $"local POLICY_FIELDS = {Lua(RetentionPolicy.Fields.Select(f => f.Name))}\n" +
        $"local INDEXES = {Lua(Registries.Indexes)}\n" +
        $"local RUN_FIELDS = {Lua(RunRecordLayout.Fields)}\n" +
        $"local RUN_TIMES = {Lua(RunRecordLayout.Times)}\n";

    private static string Lua(IEnumerable<string> names) => $"{{ {string.Join(", ", names.Select(n => $"'{n}'"))} }}";

    private static string Read(string name)
    {
        using var stream = typeof(RegistryScripts).Assembly.GetManifestResourceStream($"Gateway.Registry.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"Embedded script {name}.lua is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    internal static long Long(RedisResult r) => long.Parse((string)r!, CultureInfo.InvariantCulture);
}

/// <summary>
/// What every script answers (prelude.lua's <c>reply</c>): an outcome ("ok", "gone", ...), the values that go with
/// it, and the evictions the call made, by registry and reason.
/// </summary>
public sealed record ScriptReply(string Outcome, RedisResult[] Values, IReadOnlyList<Eviction> Evictions)
{

    public static ScriptReply From(RedisResult result)
    {
        var parts = (RedisResult[])result!;
        var counts = (RedisResult[])parts[2]!;
        var evictions = new Eviction[counts.Length / 2];
        for (var i = 0; i < evictions.Length; i++)
        {
            var name = (string)counts[2 * i]!;
            var colon = name.IndexOf(':');
            evictions[i] = new Eviction(name[..colon], name[(colon + 1)..], (long)counts[2 * i + 1]);
        }
        return new ScriptReply((string)parts[0]!, (RedisResult[])parts[1]!, evictions);
    }

    public string Text(int i) => (string)Values[i]!;

    public long Number(int i) => (long)Values[i];

    /// <summary>Values from <paramref name="start"/> on, as hash fields and values, name first.</summary>
    public HashEntry[] Fields(int start, int count)
    {
        var fields = new HashEntry[count / 2];
        for (var i = 0; i < fields.Length; i++) fields[i] = new HashEntry((string)Values[start + 2 * i]!, (string)Values[start + 2 * i + 1]!);
        return fields;
    }
}

/// <summary>n entries of a registry removed (or finalized) for a reason.</summary>
public readonly record struct Eviction(string Registry, string Reason, long Count);
