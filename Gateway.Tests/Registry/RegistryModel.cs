using Gateway.Registry;

namespace Gateway.Tests.Registry;

/// <summary>
/// The retention rules of RegistryOptions written as plainly as possible, in memory: what the Redis registry
/// must agree with after every operation of a random sequence (ModelBasedTests). Caps are those of one shard
/// (the capped sequences run with Registry:Shards = 1); the session-log cap is left to CapTests.
/// </summary>
internal sealed class RegistryModel(RegistryOptions o)
{
    public sealed class Run
    {
        public required string Id { get; init; }
        public required string Tenant { get; init; }
        public required string Session { get; init; }
        public required SpawnMode Mode { get; init; }
        public required CleanupMode Cleanup { get; init; }
        public required DateTimeOffset TimeoutAt { get; init; }
        public RunStatus Status { get; set; } = RunStatus.Pending;
        public long Seq { get; set; }
        public DateTimeOffset Lease { get; set; }
        public DateTimeOffset? ErrorFirst { get; set; }
        public DateTimeOffset? ErrorDeadline { get; set; }
        public DateTimeOffset? ArchiveAt { get; set; }
        public string? Dedupe { get; set; }
        public HashSet<string> Recipients { get; } = [];
        public DateTimeOffset RecipientsDeadline { get; set; }
        public DateTimeOffset? AbortDeadline { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        public string? EndedReason { get; set; }
        public string? Error { get; set; }
        public string SessionId => $"{Tenant}/{Session}";
        public bool IsLive => Status is RunStatus.Pending or RunStatus.Running;
    }

    public Dictionary<string, Run> Runs { get; } = [];
    public Dictionary<string, DateTimeOffset> Tombstones { get; } = [];
    public Dictionary<string, (string RunId, DateTimeOffset Deadline)> Dedupe { get; } = [];

    /// <summary>Each session's event log ("tenant/session"), as <see cref="LogEntry"/> writes its entries.</summary>
    public Dictionary<string, List<string>> Logs { get; } = [];

    public static string LogEntry(SessionEvent e) => e.Type == "completion"
        ? $"completion {e.RunId} {e.Fields["status"]} {e.Fields["reason"]} {e.Fields["error"]}"
        : $"event {e.RunId} {e.Fields["seq"]} {e.Fields["kind"]} {e.Fields["data"]}";

    public static string DedupeKey(string tenant, string session, string key) => $"{tenant}/{session}/{key}";

    /// <summary>Returns the existing run id for a live idempotency key, else null (the caller then spawns).</summary>
    public string? Duplicate(string dedupeKey, DateTimeOffset now)
    {
        if (!Dedupe.TryGetValue(dedupeKey, out var entry)) return null;
        if (entry.Deadline > now) return entry.RunId;
        RemoveDedupe(dedupeKey);
        return null;
    }

    /// <summary>Admission control and the runs cap, before a spawn: false when live runs alone fill the registry
    /// (a live run already past its deadline is finalized, not counted); else the finished runs due soonest go.</summary>
    public bool MakeRoomForRun(DateTimeOffset now)
    {
        if (Runs.Values.Count(r => r.IsLive) >= o.MaxEntries.Runs)
        {
            var overdue = Runs.Values.Where(r => r.IsLive && r.Lease <= now).OrderBy(r => r.Lease).ThenBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault();
            if (overdue is null || !FinalizeIfDue(overdue, now)) return false;
        }
        while (Runs.Count >= o.MaxEntries.Runs)
        {
            RemoveRun(Runs.Values.Where(r => !r.IsLive).OrderBy(r => r.ArchiveAt).ThenBy(r => r.Id, StringComparer.Ordinal).First(), now, now);
        }
        return true;
    }

    public void Spawn(Run run, DateTimeOffset now, string? dedupeKey)
    {
        run.Lease = Min(run.TimeoutAt, now + o.ContextIdleTimeout);
        Runs[run.Id] = run;
        if (dedupeKey is not null)
        {
            // at the cap the key due soonest goes
            while (Dedupe.Count >= o.MaxEntries.DedupeKeys)
            {
                RemoveDedupe(Dedupe.OrderBy(d => d.Value.Deadline).ThenBy(d => d.Key, StringComparer.Ordinal).First().Key);
            }
            run.Dedupe = dedupeKey;
            Dedupe[dedupeKey] = (run.Id, now + o.DedupeRetention);
        }
    }

    public EventResult Event(string id, string tenant, RunEvent e, DateTimeOffset now)
    {
        if (!Runs.TryGetValue(id, out var run)) return new EventResult(Tombstones.ContainsKey(id) ? EventOutcome.Gone : EventOutcome.NotFound);
        if (run.Tenant != tenant) return new EventResult(EventOutcome.NotFound);
        if (!run.IsLive || FinalizeIfDue(run, now)) return new EventResult(EventOutcome.Finished, Status: run.Status);
        if (e.Seq <= run.Seq) return new EventResult(EventOutcome.Duplicate, LastSeq: run.Seq);
        if (e.Seq > run.Seq + 1) return new EventResult(EventOutcome.Gap, LastSeq: run.Seq);
        run.Seq = e.Seq;
        run.Lease = Min(run.TimeoutAt, now + o.ContextIdleTimeout);
        Append(run.SessionId, $"event {id} {e.Seq} {e.Stream} {e.Data}");
        // a start or end cancels a pending error, and its message with it
        if (e.Stream is RunEvent.Start or RunEvent.End && run.ErrorDeadline is not null) (run.ErrorFirst, run.ErrorDeadline, run.Error) = (null, null, null);
        switch (e.Stream)
        {
            case RunEvent.Start: run.Status = RunStatus.Running; break;
            case RunEvent.Error:
                run.ErrorFirst ??= now;
                run.ErrorDeadline = Min(now + o.PendingErrorGrace, run.ErrorFirst.Value + o.PendingErrorMax);
                run.Error = e.Data;
                break;
            case RunEvent.End:
                if (e.Aborted) Finalize(run, RunStatus.Timeout, now, "aborted");
                else Finalize(run, RunStatus.Ok, now, "completed");
                break;
        }
        return new EventResult(EventOutcome.Accepted, LastSeq: e.Seq);
    }

    public AbortOutcome Abort(string id, string tenant, DateTimeOffset now)
    {
        if (!Runs.TryGetValue(id, out var run)) return Tombstones.ContainsKey(id) ? AbortOutcome.Gone : AbortOutcome.NotFound;
        if (run.Tenant != tenant) return AbortOutcome.NotFound;
        return AbortIfLive(run, now) ? AbortOutcome.Aborted : AbortOutcome.AlreadyFinished;
    }

    public List<string> AbortSession(string tenant, string session, DateTimeOffset now) =>
        Runs.Values.Where(r => r.Tenant == tenant && r.Session == session).OrderBy(r => r.Id, StringComparer.Ordinal)
            .Where(r => AbortIfLive(r, now)).Select(r => r.Id).ToList();

    public RecipientsOutcome Recipients(string id, string tenant, string[] add, string[] remove, DateTimeOffset now)
    {
        if (!Runs.TryGetValue(id, out var run)) return Tombstones.ContainsKey(id) ? RecipientsOutcome.Gone : RecipientsOutcome.NotFound;
        if (run.Tenant != tenant) return RecipientsOutcome.NotFound;
        if (add.Length == 0 && remove.Length == 0) return RecipientsOutcome.Updated; // nothing to change: a read
        if (run.RecipientsDeadline <= now) run.Recipients.Clear(); // expired, swept or not
        var after = run.Recipients.Except(remove).Union(add).ToHashSet();
        if (after.Count > o.MaxEntries.RecipientsPerRun) return RecipientsOutcome.Full; // and nothing changes
        run.Recipients.ExceptWith(remove);
        run.Recipients.UnionWith(add);
        run.RecipientsDeadline = now + (run.IsLive ? o.RecipientsIdle : o.RecipientsAfterFinal);
        return RecipientsOutcome.Updated;
    }

    /// <summary>A read (GET, wait, a session's runs): a live run past a deadline is answered as it ended then.</summary>
    public Run? Read(string id, DateTimeOffset now)
    {
        if (!Runs.TryGetValue(id, out var run)) return null;
        if (run.IsLive) FinalizeIfDue(run, now);
        return run;
    }

    /// <summary>A run's recipients as a read sees them: none once their deadline has passed.</summary>
    public IEnumerable<string> ReadRecipients(Run run, DateTimeOffset now) => run.RecipientsDeadline <= now ? [] : run.Recipients;

    /// <summary>Everything due at <paramref name="now"/> happens, each at its own deadline. Live runs are finalized
    /// in the sweep's order (pending errors first, then leases; by deadline, then id), which orders the completions
    /// in a session's log.</summary>
    public void Sweep(DateTimeOffset now)
    {
        foreach (var run in Runs.Values.Where(r => r.IsLive && r.ErrorDeadline <= now)
                     .OrderBy(r => r.ErrorDeadline).ThenBy(r => r.Id, StringComparer.Ordinal).ToList())
        {
            FinalizeIfDue(run, now);
        }
        foreach (var run in Runs.Values.Where(r => r.IsLive && r.Lease <= now)
                     .OrderBy(r => r.Lease).ThenBy(r => r.Id, StringComparer.Ordinal).ToList())
        {
            FinalizeIfDue(run, now);
        }
        foreach (var run in Runs.Values.Where(r => r.ArchiveAt <= now).OrderBy(r => r.ArchiveAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToList())
        {
            RemoveRun(run, run.ArchiveAt!.Value, now, capTombstones: false);
        }
        CapTombstones(); // once after the batch
        foreach (var run in Runs.Values)
        {
            if (run.Recipients.Count > 0 && run.RecipientsDeadline <= now) run.Recipients.Clear();
            if (run.AbortDeadline <= now) run.AbortDeadline = null;
        }
        foreach (var (key, entry) in Dedupe.Where(d => d.Value.Deadline <= now).ToList()) RemoveDedupe(key);
        foreach (var (id, _) in Tombstones.Where(t => t.Value <= now).ToList()) Tombstones.Remove(id);
    }

    /// <summary>A write's retirement (prelude.lua's <c>retire</c>): before its own change, at most
    /// <paramref name="budget"/> due entries of the write's shard go, each at its own deadline, phase by phase in
    /// the sweep's order (pending errors, leases, archived runs, abort markers, recipients, dedupe keys,
    /// tombstones; by deadline, then id), each phase with what the earlier ones left of the budget.</summary>
    public void Retire(int shard, DateTimeOffset now, int budget)
    {
        var left = budget;
        List<T> Take<T>(IEnumerable<T> due)
        {
            var taken = due.Take(Math.Max(left, 0)).ToList();
            left -= taken.Count;
            return taken;
        }
        var runs = Runs.Values.Where(r => ShardOf(r.Id) == shard).ToList();
        foreach (var run in Take(runs.Where(r => r.IsLive && r.ErrorDeadline <= now).OrderBy(r => r.ErrorDeadline).ThenBy(r => r.Id, StringComparer.Ordinal)))
        {
            FinalizeIfDue(run, now);
        }
        foreach (var run in Take(runs.Where(r => r.IsLive && r.Lease <= now).OrderBy(r => r.Lease).ThenBy(r => r.Id, StringComparer.Ordinal)))
        {
            FinalizeIfDue(run, now);
        }
        var archived = Take(runs.Where(r => r.ArchiveAt <= now).OrderBy(r => r.ArchiveAt).ThenBy(r => r.Id, StringComparer.Ordinal));
        foreach (var run in archived) RemoveRun(run, run.ArchiveAt!.Value, now, capTombstones: false);
        if (archived.Count > 0) CapTombstones();
        runs = runs.Where(r => Runs.ContainsKey(r.Id)).ToList();
        foreach (var run in Take(runs.Where(r => r.AbortDeadline <= now).OrderBy(r => r.AbortDeadline).ThenBy(r => r.Id, StringComparer.Ordinal)))
        {
            run.AbortDeadline = null;
        }
        foreach (var run in Take(runs.Where(r => r.Recipients.Count > 0 && r.RecipientsDeadline <= now)
                     .OrderBy(r => r.RecipientsDeadline).ThenBy(r => r.Id, StringComparer.Ordinal)))
        {
            run.Recipients.Clear();
        }
        foreach (var (key, _) in Take(Dedupe.Where(d => ShardOf(d.Value.RunId) == shard && d.Value.Deadline <= now)
                     .OrderBy(d => d.Value.Deadline).ThenBy(d => d.Key, StringComparer.Ordinal)))
        {
            RemoveDedupe(key);
        }
        // (a session's log goes with its last run: its own deadline is never due while the model holds one)
        foreach (var (id, _) in Take(Tombstones.Where(t => ShardOf(t.Key) == shard && t.Value <= now)
                     .OrderBy(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal)))
        {
            Tombstones.Remove(id);
        }
    }

    /// <summary>The shard a run id names (its first two hex digits), as Shard.TryFromRunId reads it.</summary>
    public static int ShardOf(string runId) => Convert.ToInt32(runId[..2], 16);

    private bool AbortIfLive(Run run, DateTimeOffset now)
    {
        if (!run.IsLive || FinalizeIfDue(run, now)) return false;
        Finalize(run, RunStatus.Aborted, now, "aborted");
        // at the cap the marker due soonest goes
        while (Runs.Values.Count(r => r.AbortDeadline is not null) >= o.MaxEntries.AbortedRuns)
        {
            Runs.Values.Where(r => r.AbortDeadline is not null).OrderBy(r => r.AbortDeadline).ThenBy(r => r.Id, StringComparer.Ordinal).First().AbortDeadline = null;
        }
        run.AbortDeadline = now + o.AbortedRetention;
        return true;
    }

    private bool FinalizeIfDue(Run run, DateTimeOffset now)
    {
        if (run.ErrorDeadline is { } error && error <= now && error <= run.Lease)
        {
            Finalize(run, RunStatus.Error, error, "error");
            return true;
        }
        if (run.Lease <= now)
        {
            // the lease ended at the run's own hard end, or after it was idle too long
            Finalize(run, RunStatus.Timeout, run.Lease, run.Lease >= run.TimeoutAt ? "run-timeout" : "idle");
            return true;
        }
        return false;
    }

    /// <summary>The one way a run ends; its completion goes to the session's log.</summary>
    private void Finalize(Run run, RunStatus status, DateTimeOffset at, string reason)
    {
        (run.Status, run.EndedAt, run.EndedReason) = (status, at, reason);
        if (status != RunStatus.Error) run.Error = null;
        (run.ErrorFirst, run.ErrorDeadline) = (null, null);
        var shortRetention = run.Mode == SpawnMode.Session || run.Cleanup == CleanupMode.Delete;
        run.ArchiveAt = at + (shortRetention ? o.SessionRunArchiveAfterCleanup : o.RunArchiveAfterEnd);
        if (run.Recipients.Count > 0) run.RecipientsDeadline = Min(run.RecipientsDeadline, at + o.RecipientsAfterFinal);
        Append(run.SessionId, $"completion {run.Id} {status.ToString().ToLowerInvariant()} {reason} {run.Error}");
    }

    private void Append(string sessionId, string entry)
    {
        if (!Logs.TryGetValue(sessionId, out var log)) Logs[sessionId] = log = [];
        log.Add(entry);
    }

    /// <summary>A run leaves with everything that belongs to it (the cascade), and leaves a tombstone unless the
    /// tombstone's retention has passed already; a session's log goes with its last run.</summary>
    private void RemoveRun(Run run, DateTimeOffset at, DateTimeOffset now, bool capTombstones = true)
    {
        Runs.Remove(run.Id);
        if (run.Dedupe is not null) RemoveDedupe(run.Dedupe);
        if (at + o.TombstoneRetention > now) Tombstones[run.Id] = at + o.TombstoneRetention;
        if (!Runs.Values.Any(r => r.SessionId == run.SessionId)) Logs.Remove(run.SessionId);
        if (capTombstones) CapTombstones();
    }

    /// <summary>At the cap the tombstones due soonest go.</summary>
    private void CapTombstones()
    {
        while (Tombstones.Count > o.MaxEntries.Tombstones)
        {
            Tombstones.Remove(Tombstones.OrderBy(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).First().Key);
        }
    }

    private void RemoveDedupe(string key)
    {
        if (Dedupe.Remove(key, out var entry) && Runs.TryGetValue(entry.RunId, out var owner)) owner.Dedupe = null;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
