using System.Diagnostics;
using System.Text;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Registry;

/// <summary>
/// Random sequences of spawn / lifecycle and agent events / abort / recipients / clock advances / sweeps, and
/// bursts of one run's operations submitted together (group commit: one script call applies them),
/// checked after every step against <see cref="RegistryModel"/>; at the end, the clock past the longest
/// retention and one sweep must leave Redis with no key at all.
/// </summary>
public abstract class ModelBasedTests(IRedisStore redis)
{
    private static readonly TimeSpan[] Advances =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(16), TimeSpan.FromMinutes(1),
         TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(31),
         TimeSpan.FromMinutes(61), TimeSpan.FromHours(3)];

    private static readonly int[] Timeouts = [0, 30, 600, 3600];

    /// <summary>Keeps the Redis node of its key busy for ARGV[1] ms.</summary>
    private const string BusyScript = """
        local t0 = redis.call('TIME')
        repeat local t = redis.call('TIME') until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) >= tonumber(ARGV[1]) * 1000
        """;
    // how long a burst's Redis node is kept busy while the burst is submitted
    private static readonly TimeSpan BurstBusy = TimeSpan.FromMilliseconds(10);
    private static readonly string[] Sessions = ["s1", "s2", "s3"];
    private static readonly string[] Streams = ["start", "assistant", "tool", "error", "end", "end-aborted"];

    public static IEnumerable<object[]> Seeds => Enumerable.Range(1, 40).Select(seed => new object[] { seed });

    public static IEnumerable<object[]> CappedSeeds => Enumerable.Range(101, 20).Select(seed => new object[] { seed });

    public static IEnumerable<object[]> CutOffSeeds => Enumerable.Range(201, 20).Select(seed => new object[] { seed });

    [Theory]
    [MemberData(nameof(Seeds))]
    public Task The_registry_agrees_with_the_model_and_leaves_nothing_behind(int seed) =>
        RunAsync(seed, new RegistryOptions());

    /// <summary>One shard with caps a sequence reaches: admission control, and the runs, dedupe-key, tombstone,
    /// abort-marker and recipients caps, each at work between the other rules.</summary>
    [Theory]
    [MemberData(nameof(CappedSeeds))]
    public Task At_small_caps_the_registry_agrees_with_the_model_and_leaves_nothing_behind(int seed) =>
        RunAsync(seed, new RegistryOptions
        {
            Shards = 1,
            MaxEntries = { Runs = 4, DedupeKeys = 2, Tombstones = 3, AbortedRuns = 1, RecipientsPerRun = 2 },
        });

    /// <summary>One shard, and writes that retire one due entry each: the budget cuts a retirement off mid-phase
    /// and between phases, and what it leaves waits for the next write or the sweep.</summary>
    [Theory]
    [MemberData(nameof(CutOffSeeds))]
    public Task With_a_retire_budget_that_cuts_off_the_registry_agrees_with_the_model_and_leaves_nothing_behind(int seed) =>
        RunAsync(seed, new RegistryOptions { Shards = 1, RetirePerWrite = 1 });

    private async Task RunAsync(int seed, RegistryOptions options)
    {
        await using var h = await RegistryHarness.CreateAsync(redis, options);
        var model = new RegistryModel(h.Options);
        var random = new Random(seed);
        var log = new StringBuilder();
        var ids = new List<string>();
        var bursts = 0;
        // A burst's registry calls wait here until the model has answered each of them, then all go at once, back
        // to back: with the model's work between them, one call could come back before the next was sent (no batch).
        List<TaskCompletionSource>? burstGate = null;

        async Task<T> Send<T>(Func<Task<T>> call)
        {
            if (burstGate is { } gate)
            {
                var go = new TaskCompletionSource();
                gate.Add(go);
                await go.Task.ConfigureAwait(false); // (released inline, in order: each call is submitted before the next)
            }
            return await call();
        }

        for (var step = 0; step < 80; step++)
        {
            var now = h.Clock.GetUtcNow();
            var roll = random.Next(100);

            // Each operation's expected answer comes from the model at once, in order; the registry's is awaited by the task.
            Task EventAsync(string id, long? seq) => EventsAsync(id, [seq]);

            // A run's events as one operation (runs.events): one retirement, then each event as it would be alone.
            Task EventsAsync(string id, long?[] seqs)
            {
                var tenant = model.Runs.TryGetValue(id, out var r) ? r.Tenant : "t1";
                model.Retire(RegistryModel.ShardOf(id), now, options.RetirePerWrite);
                var events = new List<RunEvent>();
                var expected = new List<EventResult>();
                foreach (var given in seqs)
                {
                    var lastSeq = model.Runs.TryGetValue(id, out var run) ? run.Seq : 0;
                    var seq = given ?? random.Next(10) switch { 0 => lastSeq, 1 => lastSeq + 2, _ => lastSeq + 1 };
                    var stream = Streams[random.Next(Streams.Length)];
                    var e = new RunEvent(stream == "end-aborted" ? "end" : stream, seq, "data", stream == "end-aborted");
                    log.AppendLine($"{step}: event {id[..6]} {e}");
                    events.Add(e);
                    expected.Add(model.Event(id, tenant, e, now));
                }
                // (submitted at once, before the next operation: an async method runs to its first await)
                var actual = Send(() => seqs.Length == 1 ? Alone() : h.Registry.AppendEventsAsync(tenant, id, events));
                return Check();

                async Task<IReadOnlyList<EventResult>> Alone() => [await h.Registry.AppendEventAsync(tenant, id, events[0])];

                async Task Check()
                {
                    var results = await actual;
                    for (var i = 0; i < expected.Count; i++)
                    {
                        Assert.Equal((expected[i].Outcome, expected[i].Status), (results[i].Outcome, results[i].Status));
                        if (expected[i].Outcome is EventOutcome.Duplicate or EventOutcome.Gap) Assert.Equal(expected[i].LastSeq, results[i].LastSeq);
                    }
                }
            }

            Task AbortAsync(string id)
            {
                var tenant = model.Runs.TryGetValue(id, out var r) ? r.Tenant : "t1";
                log.AppendLine($"{step}: abort {id[..6]}");
                model.Retire(RegistryModel.ShardOf(id), now, options.RetirePerWrite);
                var expected = model.Abort(id, tenant, now);
                var actual = Send(() => h.Registry.AbortRunAsync(tenant, id));
                return Check();

                async Task Check() => Assert.Equal(expected, (await actual).Outcome);
            }

            Task RecipientsAsync(string id)
            {
                var tenant = model.Runs.TryGetValue(id, out var r) ? r.Tenant : "t1";
                string[] add = random.Next(3) == 0 ? [] : random.Next(3) == 0 ? [$"c{random.Next(4)}", $"c{random.Next(4)}", $"c{random.Next(4)}"] : [$"c{random.Next(4)}"];
                string[] remove = random.Next(2) == 0 ? [] : [$"c{random.Next(4)}"];
                log.AppendLine($"{step}: recipients {id[..6]} +{string.Join(',', add)} -{string.Join(',', remove)}");
                // (nothing to add or remove is a read: it retires nothing)
                if (add.Length + remove.Length > 0) model.Retire(RegistryModel.ShardOf(id), now, options.RetirePerWrite);
                var expected = model.Recipients(id, tenant, add, remove, now);
                var actual = Send(() => h.Registry.UpdateRecipientsAsync(tenant, id, add, remove));
                return Check();

                async Task Check() => Assert.Equal(expected, (await actual).Outcome);
            }
            try
            {
                if (roll < 20 || ids.Count == 0)
                {
                    var session = Sessions[random.Next(Sessions.Length)];
                    var tenant = random.Next(10) == 0 ? "t2" : "t1";
                    var key = random.Next(3) == 0 ? $"k{random.Next(3)}" : null;
                    var request = new SpawnRequest(tenant, session, "task", Mode: random.Next(2) == 0 ? SpawnMode.Run : SpawnMode.Session,
                        Cleanup: random.Next(4) == 0 ? CleanupMode.Delete : CleanupMode.Keep,
                        RunTimeoutSeconds: Timeouts[random.Next(Timeouts.Length)], IdempotencyKey: key);
                    log.AppendLine($"{step}: spawn {request}");
                    var dedupe = key is null ? null : RegistryModel.DedupeKey(tenant, session, key);
                    model.Retire(Shard.ForSession(tenant, session, options.Shards).Number, now, options.RetirePerWrite);
                    var expected = dedupe is null ? null : model.Duplicate(dedupe, now);
                    var result = await h.Registry.SpawnAsync(request);
                    if (expected is not null)
                    {
                        Assert.Equal(new SpawnResult(SpawnOutcome.Duplicate, expected), result);
                        continue;
                    }
                    if (!model.MakeRoomForRun(now))
                    {
                        Assert.Equal(SpawnOutcome.Refused, result.Outcome);
                        continue;
                    }
                    Assert.Equal(SpawnOutcome.Created, result.Outcome);
                    ids.Add(result.RunId!);
                    model.Spawn(new RegistryModel.Run
                    {
                        Id = result.RunId!, Tenant = tenant, Session = session, Mode = request.Mode, Cleanup = request.Cleanup,
                        TimeoutAt = now + (request.RunTimeoutSeconds > 0 ? TimeSpan.FromSeconds(request.RunTimeoutSeconds) : h.Options.MaxRunLifetime),
                    }, now, dedupe);
                }
                else if (roll < 50)
                {
                    await EventAsync(Pick(random, ids, model), null);
                }
                else if (roll < 60)
                {
                    // A burst: one run's events, and maybe an abort or a recipients update of it, submitted without
                    // awaiting each, as a WebSocket client sends them: they reach Redis in one batch (group commit),
                    // and each must answer exactly what it would alone, in submission order.
                    // Or a run's events in one request (runs.events): one operation of several events, some of them
                    // duplicates or gaps.
                    var id = Pick(random, ids, model);
                    var seq = model.Runs.TryGetValue(id, out var r) ? r.Seq : 0;
                    var burst = new List<Task>();
                    var gate = burstGate = [];
                    if (random.Next(2) == 0) burst.Add(EventsAsync(id, [.. Enumerable.Range(0, random.Next(2, 7)).Select(_ => (long?)null)]));
                    else for (var n = random.Next(2, 7); n > 0; n--) burst.Add(EventAsync(id, ++seq));
                    if (random.Next(3) == 0) burst.Add(AbortAsync(id));
                    if (random.Next(3) == 0) burst.Add(RecipientsAsync(id));
                    burstGate = null;
                    // the run's Redis node busy for a moment first (BurstBusy), on the connection the burst's calls take:
                    // its first call is still in flight when the others are submitted
                    Assert.True(Shard.TryFromRunId(id, options.Shards, out var shard));
                    var sent = Stopwatch.GetTimestamp();
                    var busy = h.Db.ScriptEvaluateAsync(BusyScript, [shard.Prefix.Append("busy")], [(int)BurstBusy.TotalMilliseconds]);
                    foreach (var go in gate) go.SetResult();
                    var submitted = Stopwatch.GetElapsedTime(sent);
                    await busy;
                    await Task.WhenAll(burst);
                    // (of three operations or more: the first goes at once, the others wait for it and go together;
                    // unless this thread was held past the busy time before it had submitted them all, as a loaded
                    // 2-core machine can: then nothing made them meet, and the burst proves nothing either way)
                    if (burst.Count > 2 && submitted < BurstBusy) bursts++;
                }
                else if (roll < 66)
                {
                    await AbortAsync(Pick(random, ids, model));
                }
                else if (roll < 69)
                {
                    var session = Sessions[random.Next(Sessions.Length)];
                    log.AppendLine($"{step}: abort session {session}");
                    model.Retire(Shard.ForSession("t1", session, options.Shards).Number, now, options.RetirePerWrite);
                    Assert.Equal(model.AbortSession("t1", session, now).Order(), (await h.Registry.AbortSessionAsync("t1", session)).Order());
                }
                else if (roll < 76)
                {
                    await RecipientsAsync(Pick(random, ids, model));
                }
                else if (roll < 90)
                {
                    var by = Advances[random.Next(Advances.Length)];
                    log.AppendLine($"{step}: advance {by}");
                    h.Clock.Advance(by);
                }
                else
                {
                    log.AppendLine($"{step}: sweep");
                    await h.Registry.SweepAllAsync();
                    model.Sweep(now);
                }
                await AssertAgreesAsync(h, model, ids);
            }
            catch (Exception ex) when (ex is not ModelMismatch)
            {
                throw new ModelMismatch($"seed {seed}, after:\n{log}", ex);
            }
        }

        await h.DrainAsync();
        Assert.Equal(0, await redis.KeyCountAsync());
        // the bursts of several operations were batched: at least one script call applied several operations
        if (bursts > 0) Assert.True(h.Batches.GetMeasurementSnapshot().Max(m => m.Value) > 1, $"{bursts} bursts, none batched");
    }

    private static string Pick(Random random, List<string> ids, RegistryModel model)
    {
        var live = ids.Where(id => model.Runs.TryGetValue(id, out var r) && r.IsLive).ToList();
        return live.Count > 0 && random.Next(5) > 0 ? live[random.Next(live.Count)] : ids[random.Next(ids.Count)];
    }

    private static async Task AssertAgreesAsync(RegistryHarness h, RegistryModel model, List<string> ids)
    {
        var now = h.Clock.GetUtcNow();
        foreach (var id in ids)
        {
            var tenant = model.Runs.TryGetValue(id, out var known) ? known.Tenant : "t1";
            var expected = model.Read(id, now);
            var lookup = await h.Registry.GetRunAsync(tenant, id);
            if (expected is null)
            {
                Assert.Equal(model.Tombstones.ContainsKey(id) ? LookupOutcome.Gone : LookupOutcome.NotFound, lookup.Outcome);
                continue;
            }
            Assert.Equal(LookupOutcome.Found, lookup.Outcome);
            var run = lookup.Run!;
            Assert.Equal((expected.Status, expected.Seq, expected.ErrorDeadline is not null, expected.EndedAt, expected.EndedReason, expected.Error),
                (run.Status, run.LastSeq, run.ErrorPending, run.EndedAt, run.EndedReason, run.Error));
            Assert.Equal(model.ReadRecipients(expected, now).Order(), await h.Registry.GetRecipientsAsync(tenant, id));
        }
        // every session's log holds exactly the model's entries, in order: each completion once
        foreach (var session in model.Runs.Values.Select(r => (r.Tenant, r.Session)).Concat(Sessions.Select(s => ("t1", s))).Distinct())
        {
            var log = await h.Registry.ReadEventsAsync(session.Item1, session.Item2, null, count: 10_000);
            Assert.Equal(model.Logs.GetValueOrDefault($"{session.Item1}/{session.Item2}") ?? [], log.Select(RegistryModel.LogEntry));
        }
        var snapshot = await h.Registry.SnapshotAsync();
        Assert.Equal(model.Runs.Count, snapshot[Registries.Runs].Entries);
        Assert.Equal(model.Runs.Values.Count(r => r.IsLive), snapshot[Registries.RunContexts].Entries);
        Assert.Equal(model.Runs.Values.Count(r => r.ErrorDeadline is not null), snapshot[Registries.PendingErrors].Entries);
        Assert.Equal(model.Runs.Values.Count(r => r.AbortDeadline is not null), snapshot[Registries.AbortedRuns].Entries);
        Assert.Equal(model.Runs.Values.Count(r => r.Recipients.Count > 0), snapshot[Registries.ToolRecipients].Entries);
        Assert.Equal(model.Dedupe.Count, snapshot[Registries.DedupeKeys].Entries);
        Assert.Equal(model.Tombstones.Count, snapshot[Registries.Tombstones].Entries);
        // a session's log and run list exist exactly while one of its runs does
        Assert.Equal(model.Runs.Values.Select(r => (r.Tenant, r.Session)).Distinct().Count(), snapshot[Registries.SessionLogs].Entries);
        // the safety net: whatever the operations did, no key is left without a TTL
        foreach (var key in h.Redis.Keys())
        {
            Assert.True(await h.Db.KeyTimeToLiveAsync(key) is not null, $"{key} has no TTL");
        }
    }

    private sealed class ModelMismatch(string message, Exception inner) : Exception(message, inner);
}

public sealed class ModelBasedTestsOnServer(RedisServer redis) : ModelBasedTests(redis), IClassFixture<RedisServer>;

public sealed class ModelBasedTestsOnCluster(RedisCluster redis) : ModelBasedTests(redis), IClassFixture<RedisCluster>;
