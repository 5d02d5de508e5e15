using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// Every registry operation the API and the sweeper perform. State lives only in Redis; each change is
/// one script (<see cref="RegistryScripts"/>), each read at most one round trip per shard.
/// </summary>
public sealed class RunRegistry(RegistryScripts scripts, RegistryMetrics metrics, RunEndSignals ends)
{
    /// <summary>The retention rules and caps this registry enforces.</summary>
    public RegistryOptions Options => scripts.Policy.Options;

    private IDatabase Db => scripts.Database;

    private Shard SessionShard(string tenant, string sessionKey) => Shard.ForSession(tenant, sessionKey, Options.Shards);

    public async Task<SpawnResult> SpawnAsync(SpawnRequest request) => (await SpawnRunAsync(request)).Result;

    /// <summary>Spawns a run and returns it as stored (read by the same script: no second round trip).</summary>
    public async Task<SpawnedRun> SpawnRunAsync(SpawnRequest request)
    {
        var shard = SessionShard(request.Tenant, request.RequesterSessionKey);
        var now = scripts.Time.GetUtcNow();
        var timeout = scripts.Policy.RunTimeout(now, request.RunTimeoutSeconds);
        var dedupe = request.IdempotencyKey is { } key ? $"{request.Tenant}/{request.RequesterSessionKey}/{key}" : "";
        var reply = await scripts.RunAsync(RegistryScripts.Spawn, shard, now,
            Shard.NewRunId(shard, now), request.Tenant, request.RequesterSessionKey, request.ChildSessionKey ?? "",
            request.Task, request.Label ?? "", Wire(request.Mode), Wire(request.Cleanup), timeout.Milliseconds, dedupe);
        var head = (string)reply[0]!;
        if (head == "full")
        {
            metrics.Evicted(RegistryScripts.Evictions(reply, 1));
            metrics.SpawnRefused();
            return new SpawnedRun(new SpawnResult(SpawnOutcome.Refused, null), null);
        }
        var runId = (string)reply[1]!;
        var fieldCount = (int)reply[2];
        metrics.Evicted(RegistryScripts.Evictions(reply, 3 + fieldCount));
        var fields = new HashEntry[fieldCount / 2];
        for (var i = 0; i < fields.Length; i++) fields[i] = new HashEntry((string)reply[3 + 2 * i]!, (string)reply[4 + 2 * i]!);
        var outcome = head == "ok" ? SpawnOutcome.Created : SpawnOutcome.Duplicate;
        return new SpawnedRun(new SpawnResult(outcome, runId), fields.Length > 0 ? Parse(runId, fields) : null);
    }

    public async Task<EventResult> AppendEventAsync(string tenant, string runId, RunEvent runEvent)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return new EventResult(EventOutcome.NotFound);
        var reply = await scripts.RunAsync(RegistryScripts.Event, shard,
            runId, tenant, runEvent.Stream, runEvent.Seq, runEvent.Data, runEvent.Aborted ? 1 : 0);
        switch ((string)reply[0]!)
        {
            case "ok":
                metrics.Evicted(RegistryScripts.Evictions(reply, 2));
                return new EventResult(EventOutcome.Accepted, (string)reply[1]!, runEvent.Seq);
            case "duplicate": return new EventResult(EventOutcome.Duplicate, LastSeq: (long)reply[1]);
            case "gap": return new EventResult(EventOutcome.Gap, LastSeq: (long)reply[1]);
            case "finished":
                // the event may have found the run past a deadline and finalized it (lazy expiry)
                metrics.Evicted(RegistryScripts.Evictions(reply, 2));
                return new EventResult(EventOutcome.Finished, Status: ParseStatus((string)reply[1]!));
            case "gone":
                metrics.LateEvent(Registries.Runs);
                return new EventResult(EventOutcome.Gone);
            default: return new EventResult(EventOutcome.NotFound);
        }
    }

    public async Task<RunLookup> GetRunAsync(string tenant, string runId)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return new RunLookup(LookupOutcome.NotFound);
        var fields = await Db.HashGetAllAsync(shard.Key($"run:{runId}"));
        if (fields.Length == 0)
        {
            var gone = await Db.SortedSetScoreAsync(shard.Key("idx:gone"), runId);
            return new RunLookup(gone is null ? LookupOutcome.NotFound : LookupOutcome.Gone);
        }
        var run = Parse(runId, fields);
        return run.Tenant == tenant ? new RunLookup(LookupOutcome.Found, run) : new RunLookup(LookupOutcome.NotFound);
    }

    /// <summary>The runs a requester session spawned that are still in the registry, oldest first.</summary>
    public async Task<IReadOnlyList<RunRecord>> ListSessionRunsAsync(string tenant, string sessionKey, int limit = 100)
    {
        var shard = SessionShard(tenant, sessionKey);
        var ids = await Db.SortedSetRangeByRankAsync(shard.Key($"ses:{tenant}/{sessionKey}"), 0, limit - 1);
        var batch = Db.CreateBatch();
        var reads = ids.Select(id => (Id: (string)id!, Task: batch.HashGetAllAsync(shard.Key($"run:{id}")))).ToList();
        batch.Execute();
        var runs = new List<RunRecord>(reads.Count);
        foreach (var (id, read) in reads)
        {
            var fields = await read;
            if (fields.Length > 0) runs.Add(Parse(id, fields));
        }
        return runs;
    }

    public async Task<AbortResult> AbortRunAsync(string tenant, string runId)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return new AbortResult(AbortOutcome.NotFound);
        var reply = await scripts.RunAsync(RegistryScripts.Abort, shard, tenant, "", runId);
        switch ((string)reply[0]!)
        {
            case "ok":
                metrics.Evicted(RegistryScripts.Evictions(reply, 3));
                return new AbortResult(AbortOutcome.Aborted, RunStatus.Aborted);
            case "finished":
                metrics.Evicted(RegistryScripts.Evictions(reply, 2));
                return new AbortResult(AbortOutcome.AlreadyFinished, ParseStatus((string)reply[1]!));
            case "gone": return new AbortResult(AbortOutcome.Gone);
            default: return new AbortResult(AbortOutcome.NotFound);
        }
    }

    /// <summary>Aborts every live run of a session (chat.abort); returns the ids of the runs it aborted.</summary>
    public async Task<IReadOnlyList<string>> AbortSessionAsync(string tenant, string sessionKey)
    {
        var reply = await scripts.RunAsync(RegistryScripts.Abort, SessionShard(tenant, sessionKey), tenant, sessionKey, "");
        var n = (int)reply[1];
        metrics.Evicted(RegistryScripts.Evictions(reply, 2 + n));
        return reply.Skip(2).Take(n).Select(r => (string)r!).ToList();
    }

    public async Task<RecipientsResult> UpdateRecipientsAsync(string tenant, string runId,
        IReadOnlyCollection<string> add, IReadOnlyCollection<string> remove)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return new RecipientsResult(RecipientsOutcome.NotFound, []);
        RedisValue[] args = [runId, tenant, add.Count, .. add.Select(a => (RedisValue)a), .. remove.Select(r => (RedisValue)r)];
        var reply = await scripts.RunAsync(RegistryScripts.Recipients, shard, args);
        return (string)reply[0]! switch
        {
            "ok" => new RecipientsResult(RecipientsOutcome.Updated, reply.Skip(1).Select(r => (string)r!).Order().ToList()),
            "full" => new RecipientsResult(RecipientsOutcome.Full, []),
            "gone" => new RecipientsResult(RecipientsOutcome.Gone, []),
            _ => new RecipientsResult(RecipientsOutcome.NotFound, []),
        };
    }

    public async Task<IReadOnlyList<string>> GetRecipientsAsync(string runId)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return [];
        var members = await Db.SetMembersAsync(shard.Key($"rcp:{runId}"));
        return members.Select(m => (string)m!).Order().ToList();
    }

    /// <summary>A session's events after the entry id <paramref name="after"/> (exclusive; null = from the start).</summary>
    public async Task<IReadOnlyList<SessionEvent>> ReadEventsAsync(string tenant, string sessionKey, string? after, int count = 100)
    {
        var shard = SessionShard(tenant, sessionKey);
        var (afterBase, afterNumber) = after?.Split('-') is [var b, var n] ? (b, n) : ("", "0");
        var reply = await scripts.RunAsync(RegistryScripts.Events, shard, $"{tenant}/{sessionKey}", afterBase, afterNumber, count);
        if (reply.Length < 2) return [];
        var logBase = (string)reply[0]!;
        var first = (long)reply[1];
        return reply.Skip(2).Select((entry, i) => ToSessionEvent($"{logBase}-{first + i}", (string)entry!)).ToList();
    }

    /// <summary>A log entry ("run seq kind data": prelude.lua's <c>append</c>) as the event or completion it records.</summary>
    private static SessionEvent ToSessionEvent(string id, string entry)
    {
        var parts = entry.Split(' ', 4);
        var (run, seq, kind, data) = (parts[0], parts[1], parts[2], parts.Length > 3 ? parts[3] : "");
        if (kind != "completion")
        {
            return new SessionEvent(id, "event", run, new Dictionary<string, string> { ["run"] = run, ["seq"] = seq, ["kind"] = kind, ["data"] = data });
        }
        // a completion's data is "status reason error"; the error is free text and may hold spaces
        var outcome = data.Split(' ', 3);
        var fields = new Dictionary<string, string>
        {
            ["run"] = run, ["status"] = outcome[0], ["reason"] = outcome[1], ["error"] = outcome.Length > 2 ? outcome[2] : "",
        };
        return new SessionEvent(id, "completion", run, fields);
    }

    /// <summary>Waits until the run is final or <paramref name="timeout"/> passes. Ends are signalled on the
    /// shard's channel (<see cref="RunEndSignals"/>); a slow poll covers a message lost while Redis reconnects.</summary>
    public async Task<RunLookup> WaitAsync(string tenant, string runId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return new RunLookup(LookupOutcome.NotFound);
        using var watch = await ends.WatchAsync(shard, runId);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var lookup = await GetRunAsync(tenant, runId);
            if (lookup.Outcome != LookupOutcome.Found || !lookup.Run!.IsLive || deadline.IsCancellationRequested) return lookup;
            try
            {
                await watch.Ended.WaitAsync(TimeSpan.FromSeconds(1), deadline.Token);
            }
            catch (TimeoutException) { }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
        }
    }

    /// <summary>One bounded sweep call on one shard; <see cref="SweepResult.More"/> says whether more is due.</summary>
    public async Task<SweepResult> SweepShardAsync(int shard)
    {
        var reply = await scripts.RunAsync(RegistryScripts.Sweep, new Shard(shard));
        var evictions = RegistryScripts.Evictions(reply, 1);
        metrics.Evicted(evictions);
        return new SweepResult(shard, (int)reply[0] == 1, evictions);
    }

    /// <summary>Sweeps every shard until nothing is due (tests and tools; the sweeper service splits shards by lease).</summary>
    public async Task<IReadOnlyList<Eviction>> SweepAllAsync()
    {
        var all = new List<Eviction>();
        for (var shard = 0; shard < Options.Shards; shard++)
        {
            SweepResult result;
            do
            {
                result = await SweepShardAsync(shard);
                all.AddRange(result.Evictions);
            } while (result.More);
        }
        return all;
    }

    /// <summary>Every registry's size, oldest overdue deadline and evictions: one read-only script per shard.</summary>
    public async Task<RegistrySnapshot> SnapshotAsync()
    {
        var now = scripts.Time.GetUtcNow();
        var replies = await Task.WhenAll(Enumerable.Range(0, Options.Shards)
            .Select(s => scripts.RunAsync(RegistryScripts.Snapshot, new Shard(s))));
        var sizes = new Dictionary<string, long>();
        var earliest = new Dictionary<string, long>();
        var evictions = Registries.All.ToDictionary(r => r, _ => new Dictionary<string, long>());
        foreach (var reply in replies)
        {
            for (var i = 0; i < Registries.Indexes.Count; i++)
            {
                var index = Registries.Indexes[i];
                sizes[index] = sizes.GetValueOrDefault(index) + (long)reply[2 * i];
                var first = long.Parse((string)reply[2 * i + 1]!, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (first >= 0 && (!earliest.TryGetValue(index, out var e) || first < e)) earliest[index] = first;
            }
            for (var i = 2 * Registries.Indexes.Count; i + 1 < reply.Length; i += 2)
            {
                var parts = ((string)reply[i]!).Split(':');
                var byReason = evictions[parts[0]];
                byReason[parts[1]] = byReason.GetValueOrDefault(parts[1]) + RegistryScripts.Long(reply[i + 1]);
            }
        }
        var states = Registries.All.Select(name =>
        {
            var indexes = Registries.IndexesOf[name];
            var due = indexes.Where(earliest.ContainsKey).Select(i => earliest[i]).DefaultIfEmpty(long.MaxValue).Min();
            TimeSpan? overdue = due <= now.ToUnixTimeMilliseconds()
                ? now - DateTimeOffset.FromUnixTimeMilliseconds(due)
                : null;
            return new RegistryState(name, indexes.Sum(i => sizes.GetValueOrDefault(i)), overdue, evictions[name]);
        }).ToList();
        return new RegistrySnapshot(now, states);
    }

    private static string Wire<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static RunStatus ParseStatus(string status) => Enum.Parse<RunStatus>(status, ignoreCase: true);

    private static RunRecord Parse(string runId, HashEntry[] entries)
    {
        var f = entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        string? Opt(string name) => f.GetValueOrDefault(name);
        DateTimeOffset? Time(string name) => f.TryGetValue(name, out var v)
            ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(v, CultureInfo.InvariantCulture))
            : null;
        var status = ParseStatus(f["status"]);
        // a final run keeps its last 'active' time in the hash (finalize does not spend a call on it), but its
        // context ended with it: no last activity
        var live = status is RunStatus.Pending or RunStatus.Running;
        return new RunRecord(
            runId, f["tenant"], f["session"], Opt("child"), f["task"], Opt("label"),
            Enum.Parse<SpawnMode>(f["mode"], ignoreCase: true), Enum.Parse<CleanupMode>(f["cleanup"], ignoreCase: true),
            status, Time("created")!.Value, Time("started"), Time("ended"), Opt("reason"), Opt("error"),
            long.Parse(f.GetValueOrDefault("seq", "0"), CultureInfo.InvariantCulture), live ? Time("active") : null,
            Time("timeout_at")!.Value, f.ContainsKey("perr_at"));
    }
}
