using System.Buffers.Binary;

namespace Gateway.Registry;

/// <summary>
/// The validated retention rules, as the registry scripts receive them (ARGV[2], in <see cref="Fields"/>' order,
/// MessagePack-encoded).
/// Built once from <see cref="RegistryOptions"/>; every script call carries it, so no script can write an
/// entry without knowing its deadline.
/// </summary>
public sealed class RetentionPolicy
{
    /// <summary>
    /// The policy as the scripts see it: each field's Lua name (prelude.lua's <c>P.name</c>) and its value. The
    /// one statement of the order: the values are sent in it, and RegistryScripts generates the Lua list of
    /// names (<c>POLICY_FIELDS</c>) from it. Durations in ms; caps per shard.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, Func<RegistryOptions, long> Of)> Fields =
    [
        ("run_archive", o => Ms(o.RunArchiveAfterEnd)),
        ("session_archive", o => Ms(o.SessionRunArchiveAfterCleanup)),
        ("idle", o => Ms(o.ContextIdleTimeout)),
        ("grace", o => Ms(o.PendingErrorGrace)),
        ("error_max", o => Ms(o.PendingErrorMax)),
        ("aborted", o => Ms(o.AbortedRetention)),
        ("rcp_idle", o => Ms(o.RecipientsIdle)),
        ("rcp_final", o => Ms(o.RecipientsAfterFinal)),
        ("dedupe", o => Ms(o.DedupeRetention)),
        ("tombstone", o => Ms(o.TombstoneRetention)),
        ("slack", o => Ms(o.KeyTtlSlack)),
        ("log_len", o => o.SessionLogMaxLength),
        ("cap_runs", o => PerShard(o, o.MaxEntries.Runs)),
        ("cap_dedupe", o => PerShard(o, o.MaxEntries.DedupeKeys)),
        ("cap_logs", o => PerShard(o, o.MaxEntries.SessionLogs)),
        ("cap_tombstones", o => PerShard(o, o.MaxEntries.Tombstones)),
        ("cap_aborted", o => PerShard(o, o.MaxEntries.AbortedRuns)),
        ("cap_recipients", o => o.MaxEntries.RecipientsPerRun),
        ("batch", o => o.SweepBatchSize),
        ("retire", o => o.RetirePerWrite),
    ];

    public RetentionPolicy(RegistryOptions options)
    {
        Validate(options);
        Options = options;
        Encoded = MessagePackArray(Fields.Select(f => f.Of(options)).ToArray());
    }

    /// <summary>A cap across all shards, as each shard enforces it (rounded up, at least 1).</summary>
    private static long PerShard(RegistryOptions o, int cap) => Math.Max(1, (cap + o.Shards - 1) / o.Shards);

    /// <summary>The values as a MessagePack array of int64 (array 16, then 0xd3 and 8 big-endian bytes each).</summary>
    private static byte[] MessagePackArray(long[] values)
    {
        var bytes = new byte[3 + 9 * values.Length];
        bytes[0] = 0xdc;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), (ushort)values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            bytes[3 + 9 * i] = 0xd3;
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(4 + 9 * i), values[i]);
        }
        return bytes;
    }

    public RegistryOptions Options { get; }

    internal byte[] Encoded { get; }

    /// <summary>A live run's hard end: its own timeout if it has one, never later than MaxRunLifetime.</summary>
    public Deadline RunTimeout(DateTimeOffset now, int runTimeoutSeconds)
    {
        var lifetime = runTimeoutSeconds > 0
            ? TimeSpan.FromSeconds(Math.Min(runTimeoutSeconds, Options.MaxRunLifetime.TotalSeconds))
            : Options.MaxRunLifetime;
        return new Deadline(now + lifetime);
    }

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;

    public static void Validate(RegistryOptions o)
    {
        var errors = new List<string>();
        foreach (var (name, value) in new[]
                 {
                     (nameof(o.RunArchiveAfterEnd), o.RunArchiveAfterEnd),
                     (nameof(o.SessionRunArchiveAfterCleanup), o.SessionRunArchiveAfterCleanup),
                     (nameof(o.ContextIdleTimeout), o.ContextIdleTimeout), (nameof(o.PendingErrorGrace), o.PendingErrorGrace),
                     (nameof(o.PendingErrorMax), o.PendingErrorMax), (nameof(o.AbortedRetention), o.AbortedRetention),
                     (nameof(o.RecipientsIdle), o.RecipientsIdle), (nameof(o.RecipientsAfterFinal), o.RecipientsAfterFinal),
                     (nameof(o.DedupeRetention), o.DedupeRetention), (nameof(o.MaxRunLifetime), o.MaxRunLifetime),
                     (nameof(o.TombstoneRetention), o.TombstoneRetention), (nameof(o.KeyTtlSlack), o.KeyTtlSlack),
                 })
        {
            if (value <= TimeSpan.Zero) errors.Add($"Registry:{name} must be positive (was {value}).");
        }
        if (o.PendingErrorMax < o.PendingErrorGrace) errors.Add("Registry:PendingErrorMax must be at least PendingErrorGrace.");
        if (o.Shards is < 1 or > 256) errors.Add($"Registry:Shards must be 1..256 (was {o.Shards}).");
        if (o.SweepBatchSize < 1) errors.Add("Registry:SweepBatchSize must be at least 1.");
        // (a write's latency grows with it: a thousand is already a whole sweep batch)
        if (o.RetirePerWrite is < 0 or > 1000) errors.Add($"Registry:RetirePerWrite must be 0..1000 (was {o.RetirePerWrite}).");
        if (o.SessionLogMaxLength < 1) errors.Add("Registry:SessionLogMaxLength must be at least 1.");
        var caps = o.MaxEntries;
        foreach (var (name, cap) in new[] { ("Runs", caps.Runs), ("DedupeKeys", caps.DedupeKeys),
                     ("SessionLogs", caps.SessionLogs), ("Tombstones", caps.Tombstones),
                     ("AbortedRuns", caps.AbortedRuns), ("RecipientsPerRun", caps.RecipientsPerRun) })
        {
            if (cap < 1) errors.Add($"Registry:MaxEntries:{name} must be at least 1 (was {cap}).");
        }
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors));
    }
}
