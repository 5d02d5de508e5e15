using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Nerdbank.MessagePack;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// The registry's Redis Functions library, the only writer of registry state (Scripts/*.lua): prelude.lua, the
/// operations (one file each), and the functions called: batch.lua applying operations, sweep.lua and
/// snapshot.lua. A call runs without interruption on one shard, and each operation in it is atomic: a crash never
/// leaves half an operation. Redis loads the library once per node (FUNCTION LOAD, on the first call that finds
/// it missing), so a call does not rebuild the prelude's fifty functions as a script's call would (EVALSHA: about
/// 30 µs of Redis time per call before any work). Its name carries a hash of its source, so two versions of the
/// gateway (a rolling upgrade) each call their own.
/// </summary>
public sealed class RegistryScripts(IConnectionMultiplexer redis, RetentionPolicy policy, TimeProvider time)
{
    /// <summary>The operations a batch applies (OPS.name in Lua, one file each), and the functions called alone.</summary>
    public const string Spawn = "spawn", Event = "event", Abort = "abort", Recipients = "recipients",
        Events = "events", Get = "get", List = "list", Sweep = "sweep", Snapshot = "snapshot";

    private const string Batch = "batch", ReadBatch = "read";

    private static readonly string[] Operations = [Spawn, Event, Abort, Recipients, Events, Get, List];

    /// <summary>The library's source (FUNCTION LOAD), and each function's name in it.</summary>
    private static readonly (string Source, IReadOnlyDictionary<string, string> Functions) Library = Compose([Batch, ReadBatch, Sweep, Snapshot]);

    public RetentionPolicy Policy => policy;

    public TimeProvider Time => time;

    /// <summary>Runs a function on a shard. "now" and the retention policy always go first, so a function can
    /// never write without deadlines.</summary>
    public async Task<ScriptReply> RunAsync(string function, Shard shard) =>
        ScriptReply.From(await CallAsync(function, shard, [time.GetUtcNow().ToUnixTimeMilliseconds(), policy.Encoded]));

    /// <summary>Applies operations of one shard in order with one call (batch.lua); each operation runs at its own
    /// time. Returns each one's reply, in order (outcome "error" with Redis' message: that operation was
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
        RedisServerException? full = null;
        RedisResult result;
        try
        {
            result = await CallAsync(Batch, shard, argv);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("OOM", StringComparison.Ordinal))
        {
            // Redis at its maxmemory refused the whole call: the reads in it are still answered (read.lua)
            (full, result) = (ex, await CallAsync(ReadBatch, shard, argv));
        }
        var batch = ScriptReply.From(result);
        var replies = new ScriptReply[operations.Count];
        for (var j = 0; j < replies.Length; j++)
        {
            var each = (RedisResult[])batch.Values[j]!;
            replies[j] = full is not null && (string)each[0]! == "error"
                ? new ScriptReply("error", [RedisResult.Create((RedisValue)full.Message)], [])
                : new ScriptReply((string)each[0]!, (RedisResult[])each[1]!, []);
        }
        return (replies, batch.Evictions);
    }

    private async Task<RedisResult> CallAsync(string function, Shard shard, RedisValue[] argv)
    {
        // FCALL name 1 key args...: the key (a RedisKey) routes the call to its shard's node on a cluster
        var args = new object[3 + argv.Length];
        (args[0], args[1], args[2]) = (Library.Functions[function], 1, (RedisKey)shard.Prefix);
        for (var i = 0; i < argv.Length; i++) args[3 + i] = argv[i];
        var db = redis.GetDatabase();
        try
        {
            return await db.ExecuteAsync("FCALL", args).OrLostAsync(redis);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("Function not found", StringComparison.Ordinal))
        {
            // A node that never had it, or lost it (restarted without persistence): nothing ran. Load it, call again.
            await LoadAsync();
            return await db.ExecuteAsync("FCALL", args).OrLostAsync(redis);
        }
    }

    /// <summary>Loads the library on every master (a replica gets it from its master).</summary>
    private async Task LoadAsync()
    {
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await server.ExecuteAsync("FUNCTION", "LOAD", "REPLACE", Library.Source).OrLostAsync(redis);
        }
    }

    /// <summary>The library: the generated header, the prelude, every operation, then each function, registered by
    /// a name that carries the source's hash (its flags from its file's "#!lua flags=..." line, if any).</summary>
    private static (string, IReadOnlyDictionary<string, string>) Compose(string[] functions)
    {
        var flags = new Dictionary<string, string>();
        var code = new StringBuilder(GeneratedHeader()).Append(Read("prelude")).Append('\n');
        foreach (var op in Operations) code.Append(Read(op)).Append('\n');
        foreach (var function in functions)
        {
            var own = Read(function);
            if (own.StartsWith("#!lua flags=", StringComparison.Ordinal))
            {
                flags[function] = own[12..own.IndexOf('\n')];
                own = own[(own.IndexOf('\n') + 1)..];
            }
            code.Append(own).Append('\n');
        }
        var library = $"gateway_{Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(code.ToString())))[..12]}";
        var names = functions.ToDictionary(f => f, f => $"{library}_{f}");
        foreach (var function in functions)
        {
            var flagList = flags.TryGetValue(function, out var f) ? $", flags = {{ '{f.Replace(",", "', '")}' }}" : "";
            code.Append($"redis.register_function{{ function_name = '{names[function]}', callback = function(keys, args) begin(keys, args) return CALLS.{function}(args) end{flagList} }}\n");
        }
        return ($"#!lua name={library}\n{code}", names);
    }

    /// <summary>The contracts stated in C#, as Lua: the policy's field names in the order their values are
    /// sent (<see cref="RetentionPolicy.Fields"/>), the deadline indexes (<see cref="Registries.Indexes"/>), and
    /// the run record's layout (<see cref="RunRecordLayout"/>) and the log's kind codes (<see cref="SessionLogLayout"/>).</summary>
    public static string GeneratedHeader() =>
        "-- Generated by RegistryScripts.cs from RetentionPolicy.Fields, Registries.Indexes, RunRecordLayout and SessionLogLayout.\n" +
        $"local POLICY_FIELDS = {Lua(RetentionPolicy.Fields.Select(f => f.Name))}\n" +
        $"local INDEXES = {Lua(Registries.Indexes)}\n" +
        $"local RUN_KEY = '{RunRecordLayout.Key}'\n" +
        $"local RUN_FIELDS = {Lua(RunRecordLayout.Fields)}\n" +
        $"local RUN_TIMES = {Lua(RunRecordLayout.Times)}\n" +
        $"local RUN_CODES = {{ {string.Join(", ", RunRecordLayout.Coded.Select(c => $"[{Position(c.Key)}] = {Lua(Digits(c.Value))}"))} }}\n" +
        $"local LOG_KINDS = {{ {string.Join(", ", SessionLogLayout.Kinds.Select((kind, i) => $"['{kind}'] = '{i}'"))} }}\n";

    private static int Position(string field) => RunRecordLayout.Fields.ToList().IndexOf(field) + 1 is > 0 and var at
        ? at
        : throw new InvalidOperationException($"The coded field '{field}' is not a field of the run record.");

    // a code is one digit in a completion's log entry (RunRecordLayout.NameOf)
    private static IReadOnlyList<string> Digits(IReadOnlyList<string> names) =>
        names.Count <= 9 ? names : throw new InvalidOperationException($"A coded field has {names.Count} values; a code is one digit.");

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
    /// <summary>The reply from the MessagePack string the script packed (<c>cmsgpack.pack</c> of its reply table),
    /// each value as Redis would have converted it from Lua: a string as a bulk string, a number as an integer
    /// (truncated), true as 1, nil and false as null, a table as an array up to its first hole.</summary>
    public static ScriptReply From(RedisResult result)
    {
        var packed = (ReadOnlyMemory<byte>)(byte[])result!;
        var reader = new MessagePackReader(packed);
        var parts = (RedisResult[])Read(ref reader)!;
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

    private static RedisResult Read(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return RedisResult.Create(RedisValue.Null);
            case MessagePackType.Boolean:
                return RedisResult.Create(reader.ReadBoolean() ? 1 : RedisValue.Null);
            case MessagePackType.Integer:
                return RedisResult.Create(reader.ReadInt64());
            case MessagePackType.Float:
                return RedisResult.Create((long)reader.ReadDouble());
            case MessagePackType.Array:
            {
                var items = new RedisResult[reader.ReadArrayHeader()];
                for (var i = 0; i < items.Length; i++) items[i] = Read(ref reader);
                return RedisResult.Create(items);
            }
            case MessagePackType.Map:
            {
                // a Lua table with holes (cmsgpack packs it as a map): its values from index 1 to the first hole
                var byIndex = new Dictionary<long, RedisResult>();
                for (var n = reader.ReadMapHeader(); n > 0; n--)
                {
                    var key = reader.NextMessagePackType == MessagePackType.Integer ? reader.ReadInt64() : Skip(ref reader);
                    byIndex[key] = Read(ref reader);
                }
                var items = new List<RedisResult>();
                while (byIndex.TryGetValue(items.Count + 1, out var item)) items.Add(item);
                return RedisResult.Create([.. items]);
            }
            default:
                var text = reader.ReadStringSequence()!.Value;
                return RedisResult.Create(text.IsSingleSegment ? text.First : (ReadOnlyMemory<byte>)text.ToArray());
        }

        static long Skip(ref MessagePackReader reader)
        {
            reader.Skip(default);
            return 0;
        }
    }

    public long Number(int i) => (long)Values[i];
}

/// <summary>n entries of a registry removed (or finalized) for a reason.</summary>
public readonly record struct Eviction(string Registry, string Reason, long Count);
