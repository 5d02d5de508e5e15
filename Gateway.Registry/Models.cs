namespace Gateway.Registry;

public enum SpawnMode { Run, Session }

public enum CleanupMode { Delete, Keep }

public enum RunStatus { Pending, Running, Ok, Error, Timeout, Aborted }

public sealed record SpawnRequest(
    string Tenant,
    string RequesterSessionKey,
    string Task,
    string? Label = null,
    string? ChildSessionKey = null,
    SpawnMode Mode = SpawnMode.Run,
    CleanupMode Cleanup = CleanupMode.Keep,
    int RunTimeoutSeconds = 0,
    string? IdempotencyKey = null);

public enum SpawnOutcome { Created, Duplicate, Refused }

public sealed record SpawnResult(SpawnOutcome Outcome, string? RunId);

/// <summary>A spawn's result and the run as stored right after it (null when refused).</summary>
public sealed record SpawnedRun(SpawnResult Result, RunRecord? Run);

/// <summary>An event for a run: lifecycle (<c>start</c>, <c>end</c>, <c>error</c>) or agent (<c>assistant</c>, <c>tool</c>, ...).</summary>
public sealed record RunEvent(string Stream, long Seq, string Data = "", bool Aborted = false)
{
    public const string Start = "start", End = "end", Error = "error";
}

public enum EventOutcome { Accepted, Duplicate, Gap, Finished, Gone, NotFound }

/// <summary><paramref name="LastSeq"/> is the last accepted sequence number when the event was refused for order.</summary>
public sealed record EventResult(EventOutcome Outcome, string? EntryId = null, long LastSeq = 0, RunStatus? Status = null);

public enum LookupOutcome { Found, Gone, NotFound }

public sealed record RunLookup(LookupOutcome Outcome, RunRecord? Run = null);

public enum AbortOutcome { Aborted, AlreadyFinished, Gone, NotFound }

public sealed record AbortResult(AbortOutcome Outcome, RunStatus? Status = null);

public enum RecipientsOutcome { Updated, Full, Gone, NotFound }

public sealed record RecipientsResult(RecipientsOutcome Outcome, IReadOnlyList<string> Recipients);

public sealed record RunRecord(
    string RunId,
    string Tenant,
    string RequesterSessionKey,
    string? ChildSessionKey,
    string Task,
    string? Label,
    SpawnMode Mode,
    CleanupMode Cleanup,
    RunStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? EndedReason,
    string? Error,
    long LastSeq,
    DateTimeOffset? LastActiveAt,
    DateTimeOffset TimeoutAt,
    bool ErrorPending)
{
    public bool IsLive => Status is RunStatus.Pending or RunStatus.Running;
}

/// <summary>One entry of a session's event log: an event of one of its runs, or a run's completion.</summary>
public sealed record SessionEvent(string Id, string Type, string RunId, IReadOnlyDictionary<string, string> Fields);

public sealed record SweepResult(int Shard, bool More, IReadOnlyList<Eviction> Evictions)
{
    public long Total => Evictions.Sum(e => e.Count);
}

/// <summary>One registry's size, the age of its oldest deadline that has passed (null if none), and the
/// evictions counted since its shards were last empty.</summary>
public sealed record RegistryState(string Name, long Entries, TimeSpan? OldestOverdue, IReadOnlyDictionary<string, long> Evictions);

public sealed record RegistrySnapshot(DateTimeOffset At, IReadOnlyList<RegistryState> Registries)
{
    public RegistryState this[string name] => Registries.First(r => r.Name == name);

    /// <summary>The sweeper's lag: the age of the oldest deadline not yet swept, across all registries.</summary>
    public TimeSpan Lag => Registries.Select(r => r.OldestOverdue ?? TimeSpan.Zero).DefaultIfEmpty().Max();
}
