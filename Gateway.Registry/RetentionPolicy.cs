using System.Buffers.Binary;

namespace Gateway.Registry;

/// <summary>
/// The validated retention rules, as the registry scripts receive them (ARGV[2], in prelude.lua's order,
/// MessagePack-encoded).
/// Built once from <see cref="RegistryOptions"/>; every script call carries it, so no script can write an
/// entry without knowing its deadline.
/// </summary>
public sealed class RetentionPolicy
{
    public RetentionPolicy(RegistryOptions options)
    {
        Validate(options);
        Options = options;
        var shards = options.Shards;
        long PerShard(int cap) => Math.Max(1, (cap + shards - 1) / shards);
        long[] values =
        [
            Ms(options.RunArchiveAfterEnd), Ms(options.SessionRunArchiveAfterCleanup), Ms(options.ContextIdleTimeout),
            Ms(options.PendingErrorGrace), Ms(options.PendingErrorMax), Ms(options.AbortedRetention),
            Ms(options.RecipientsIdle), Ms(options.RecipientsAfterFinal), Ms(options.DedupeRetention),
            Ms(options.TombstoneRetention), Ms(options.KeyTtlSlack), options.EventStreamMaxLength,
            PerShard(options.MaxEntries.Runs), PerShard(options.MaxEntries.DedupeKeys),
            PerShard(options.MaxEntries.EventStreams), PerShard(options.MaxEntries.Tombstones),
            PerShard(options.MaxEntries.AbortedRuns), options.MaxEntries.RecipientsPerRun, options.SweepBatchSize,
        ];
        Encoded = MessagePackArray(values);
    }

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
        if (o.EventStreamMaxLength < 1) errors.Add("Registry:EventStreamMaxLength must be at least 1.");
        var caps = o.MaxEntries;
        foreach (var (name, cap) in new[] { ("Runs", caps.Runs), ("DedupeKeys", caps.DedupeKeys),
                     ("EventStreams", caps.EventStreams), ("Tombstones", caps.Tombstones),
                     ("AbortedRuns", caps.AbortedRuns), ("RecipientsPerRun", caps.RecipientsPerRun) })
        {
            if (cap < 1) errors.Add($"Registry:MaxEntries:{name} must be at least 1 (was {cap}).");
        }
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors));
    }
}
