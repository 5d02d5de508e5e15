using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// Every registry operation the API and the sweeper perform. State lives only in Redis, and every operation,
/// read or write, is a Lua operation (<see cref="RegistryScripts"/>) on one shard, applied with the others of its
/// shard that arrive meanwhile (<see cref="GroupCommit"/>): keys are built only in Lua, and every read gets the
/// scripts' lazy expiry (a run past its deadline is answered as it ended then).
/// </summary>
public sealed class RunRegistry(RegistryScripts scripts, GroupCommit commit, RegistryMetrics metrics, RunEndSignals ends)
{
    /// <summary>The retention rules and caps this registry enforces.</summary>
    public RegistryOptions Options => scripts.Policy.Options;

    /// <summary>An operation, applied with the others of its shard that arrive meanwhile (<see cref="GroupCommit"/>).</summary>
    private Task<ScriptReply> RunAsync(string operation, Shard shard, DateTimeOffset now, params RedisValue[] args) =>
        commit.SubmitAsync(shard, new Operation(operation, now.ToUnixTimeMilliseconds(), args));

    private Task<ScriptReply> RunAsync(string operation, Shard shard, params RedisValue[] args) =>
        RunAsync(operation, shard, scripts.Time.GetUtcNow(), args);

    /// <summary>A script called alone (sweep, snapshot); the evictions it made reach the metrics.</summary>
    private async Task<ScriptReply> RunAloneAsync(string script, Shard shard)
    {
        var reply = await scripts.RunAsync(script, shard);
        if (reply.Evictions.Count > 0) metrics.Evicted(reply.Evictions);
        return reply;
    }

    private Shard SessionShard(string tenant, string sessionKey) => Shard.ForSession(tenant, sessionKey, Options.Shards);

    public async Task<SpawnResult> SpawnAsync(SpawnRequest request) => (await SpawnRunAsync(request)).Result;

    /// <summary>Spawns a run and returns it as stored (read by the same script: no second round trip).</summary>
    public async Task<SpawnedRun> SpawnRunAsync(SpawnRequest request)
    {
        var shard = SessionShard(request.Tenant, request.RequesterSessionKey);
        var now = scripts.Time.GetUtcNow();
        var timeout = scripts.Policy.RunTimeout(now, request.RunTimeoutSeconds);
        var dedupe = request.IdempotencyKey is { } key ? $"{request.Tenant}/{request.RequesterSessionKey}/{key}" : "";
        var reply = await RunAsync(RegistryScripts.Spawn, shard, now,
            Shard.NewRunId(shard, now), request.Tenant, request.RequesterSessionKey, request.ChildSessionKey ?? "",
            request.Task, request.Label ?? "", Wire(request.Mode), Wire(request.Cleanup), timeout.Milliseconds, dedupe);
        if (reply.Outcome == "full")
        {
            metrics.SpawnRefused();
            return new SpawnedRun(new SpawnResult(SpawnOutcome.Refused, null), null);
        }
        var runId = reply.Text(0);
        var outcome = reply.Outcome == "ok" ? SpawnOutcome.Created : SpawnOutcome.Duplicate;
        return new SpawnedRun(new SpawnResult(outcome, runId), Record(runId, reply.Values[1]));
    }

    public async Task<EventResult> AppendEventAsync(string tenant, string runId, RunEvent runEvent) =>
        (await AppendEventsAsync(tenant, runId, [runEvent]))[0];

    /// <summary>Appends a run's events in order, each with its own result, as one request of the WebSocket
    /// protocol asks (runs.events): one operation (event.lua), which writes the run's record, moves its lease and
    /// appends to its session's log once for all of them.</summary>
    public async Task<IReadOnlyList<EventResult>> AppendEventsAsync(string tenant, string runId, IReadOnlyList<RunEvent> events)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return [.. events.Select(_ => new EventResult(EventOutcome.NotFound))];
        var args = new RedisValue[2 + 4 * events.Count];
        (args[0], args[1]) = (runId, tenant);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            (args[2 + 4 * i], args[3 + 4 * i], args[4 + 4 * i], args[5 + 4 * i]) = (e.Stream, e.Seq, e.Data, e.Aborted ? 1 : 0);
        }
        var reply = await RunAsync(RegistryScripts.Event, shard, args);
        var results = new EventResult[events.Count];
        for (var i = 0; i < results.Length; i++) results[i] = EventAnswer(reply, 2 * i, events[i].Seq);
        return results;
    }

    /// <summary>One event's answer: its outcome and value at <paramref name="at"/> in the operation's reply.</summary>
    private EventResult EventAnswer(ScriptReply reply, int at, long seq)
    {
        switch (reply.Text(at))
        {
            case "ok": return new EventResult(EventOutcome.Accepted, reply.Text(at + 1), seq);
            case "duplicate": return new EventResult(EventOutcome.Duplicate, LastSeq: reply.Number(at + 1));
            case "gap": return new EventResult(EventOutcome.Gap, LastSeq: reply.Number(at + 1));
            // the event may have found the run past a deadline and finalized it (lazy expiry)
            case "finished": return new EventResult(EventOutcome.Finished, Status: ParseStatus(reply.Text(at + 1)));
            case "gone":
                metrics.LateEvent(Registries.Runs);
                return new EventResult(EventOutcome.Gone);
            default: return new EventResult(EventOutcome.NotFound);
        }
    }

    public async Task<RunLookup> GetRunAsync(string tenant, string runId)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return new RunLookup(LookupOutcome.NotFound);
        var reply = await RunAsync(RegistryScripts.Get, shard, runId, tenant);
        return reply.Outcome switch
        {
            "ok" => new RunLookup(LookupOutcome.Found, Record(runId, reply.Values[0])),
            "gone" => new RunLookup(LookupOutcome.Gone),
            _ => new RunLookup(LookupOutcome.NotFound),
        };
    }

    /// <summary>The runs a requester session spawned that are still in the registry, oldest first.</summary>
    public async Task<IReadOnlyList<RunRecord>> ListSessionRunsAsync(string tenant, string sessionKey, int limit = 100)
    {
        var reply = await RunAsync(RegistryScripts.List, SessionShard(tenant, sessionKey), $"{tenant}/{sessionKey}", limit);
        var runs = new List<RunRecord>(reply.Values.Length / 2);
        for (var i = 0; i < reply.Values.Length; i += 2) runs.Add(Record(reply.Text(i), reply.Values[i + 1])!);
        return runs;
    }

    public async Task<AbortResult> AbortRunAsync(string tenant, string runId)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return new AbortResult(AbortOutcome.NotFound);
        var reply = await RunAsync(RegistryScripts.Abort, shard, tenant, "", runId);
        switch (reply.Outcome)
        {
            case "ok": return new AbortResult(AbortOutcome.Aborted, RunStatus.Aborted);
            case "finished": return new AbortResult(AbortOutcome.AlreadyFinished, ParseStatus(reply.Text(0)));
            case "gone": return new AbortResult(AbortOutcome.Gone);
            default: return new AbortResult(AbortOutcome.NotFound);
        }
    }

    /// <summary>Aborts every live run of a session (chat.abort); returns the ids of the runs it aborted.</summary>
    public async Task<IReadOnlyList<string>> AbortSessionAsync(string tenant, string sessionKey)
    {
        var reply = await RunAsync(RegistryScripts.Abort, SessionShard(tenant, sessionKey), tenant, sessionKey, "");
        return reply.Values.Select(r => (string)r!).ToList();
    }

    public async Task<RecipientsResult> UpdateRecipientsAsync(string tenant, string runId,
        IReadOnlyCollection<string> add, IReadOnlyCollection<string> remove)
    {
        if (!Shard.TryFromRunId(runId, Options.Shards, out var shard)) return new RecipientsResult(RecipientsOutcome.NotFound, []);
        RedisValue[] args = [runId, tenant, add.Count, .. add.Select(a => (RedisValue)a), .. remove.Select(r => (RedisValue)r)];
        var reply = await RunAsync(RegistryScripts.Recipients, shard, args);
        return reply.Outcome switch
        {
            "ok" => new RecipientsResult(RecipientsOutcome.Updated, reply.Values.Select(r => (string)r!).Order().ToList()),
            "full" => new RecipientsResult(RecipientsOutcome.Full, []),
            "gone" => new RecipientsResult(RecipientsOutcome.Gone, []),
            _ => new RecipientsResult(RecipientsOutcome.NotFound, []),
        };
    }

    /// <summary>A run's tool-event recipients now (none once their deadline has passed, swept or not).</summary>
    public async Task<IReadOnlyList<string>> GetRecipientsAsync(string tenant, string runId) =>
        (await UpdateRecipientsAsync(tenant, runId, [], [])).Recipients;

    /// <summary>A session's events after the entry id <paramref name="after"/> (exclusive; null = from the start).</summary>
    public async Task<IReadOnlyList<SessionEvent>> ReadEventsAsync(string tenant, string sessionKey, string? after, int count = 100)
    {
        var shard = SessionShard(tenant, sessionKey);
        var (afterBase, afterNumber) = after?.Split('-') is [var b, var n] ? (b, n) : ("", "0");
        var reply = await RunAsync(RegistryScripts.Events, shard, $"{tenant}/{sessionKey}", afterBase, afterNumber, count);
        if (reply.Outcome != "ok") return [];
        var (logBase, first) = (reply.Text(0), reply.Number(1));
        return reply.Values.Skip(2).Select((entry, i) => SessionLogLayout.Parse($"{logBase}-{first + i}", (string)entry!)).ToList();
    }

    /// <summary>Waits until the run is final or <paramref name="timeout"/> passes. Ends are signalled on the
    /// shard's channel (<see cref="RunEndSignals"/>); a slow poll (every <paramref name="fallbackPoll"/>, 1 s by
    /// default) covers a message lost while Redis reconnects.</summary>
    public async Task<RunLookup> WaitAsync(string tenant, string runId, TimeSpan timeout, CancellationToken cancellationToken,
        TimeSpan? fallbackPoll = null)
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
                await watch.Ended.WaitAsync(fallbackPoll ?? TimeSpan.FromSeconds(1), deadline.Token);
            }
            catch (TimeoutException) { }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
        }
    }

    /// <summary>One bounded sweep call on one shard; <see cref="SweepResult.More"/> says whether more is due.</summary>
    public async Task<SweepResult> SweepShardAsync(int shard)
    {
        var reply = await RunAloneAsync(RegistryScripts.Sweep, new Shard(shard));
        return new SweepResult(shard, reply.Outcome == "more", reply.Evictions);
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
        var replies = (await Task.WhenAll(Enumerable.Range(0, Options.Shards)
            .Select(s => RunAloneAsync(RegistryScripts.Snapshot, new Shard(s))))).Select(r => r.Values);
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

    /// <summary>A run from its record as a script answered it (<see cref="RunRecordLayout.Read"/>); null if empty.</summary>
    private static RunRecord? Record(string runId, RedisResult packed) =>
        (byte[]?)packed is { Length: > 0 } bytes ? RunRecordLayout.Read(runId, bytes) : null;
}
