using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Registry;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sweeper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Gateway.Tests.Faults;

/// <summary>
/// A Redis Cluster master SIGKILLed while clients drive run lifecycles through the API, with a sweeper running.
/// Redis Cluster replicates asynchronously, so a write acknowledged just before the kill may not have reached the
/// replica that takes over: that replication window is what may be lost, and nothing older. The test counts.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ClusterFailoverTests(RedisCluster cluster, ITestOutputHelper output) : IClassFixture<RedisCluster>
{
    /// <summary>What the gateway promises: serving the killed master's shards again within this after the kill
    /// (the cluster's 1 s node timeout, the replica's election, the client finding the new master).</summary>
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(15);

    /// <summary>Acknowledged writes older than this before the kill must all survive it.</summary>
    private static readonly TimeSpan ReplicationWindow = TimeSpan.FromSeconds(1);

    private const int Clients = 8;

    [Fact]
    public async Task A_master_SIGKILLed_under_load_fails_over_and_no_acknowledged_write_older_than_the_replication_window_is_lost()
    {
        await cluster.FlushAsync();
        await using var api = new GatewayApiFactory(cluster);
        var sweeperClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sweeper = await new SweeperHost(cluster, sweeperClock).StartAsync();
        var options = api.Registry.Options;
        var db = cluster.Admin.GetDatabase();
        var victim = (await db.IdentifyEndpointAsync(new Shard(0).Prefix))!.ToString()!;
        var victimShards = new HashSet<int>();
        for (var s = 0; s < options.Shards; s++)
        {
            if ((await db.IdentifyEndpointAsync(new Shard(s).Prefix))!.ToString() == victim) victimShards.Add(s);
        }
        var victimNode = cluster.Nodes.Single(n => victim.EndsWith($":{n.Port}", StringComparison.Ordinal));

        // a client waiting for a run on the killed master's shards, subscribed to that master's end channel
        var waiter = api.ClientFor();
        var waitedSession = Enumerable.Range(0, 100).Select(i => $"waited-{i}").First(s => victimShards.Contains(Shard.ForSession("tenant-a", s, options.Shards).Number));
        var waited = await waiter.SpawnAsync(waitedSession);
        await waiter.AcceptedAsync(waited.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
        // a wait that polls the run while its master is down answers 503 (Retry-After): the client waits again
        var waiting = Task.Run(async () =>
        {
            var (answer, _) = await RetryAsync(() => waiter.GetAsync($"/v1/runs/{waited.RunId}/wait?timeoutMs=120000"), CancellationToken.None);
            return await answer!.Content.ReadFromJsonAsync<WaitResponse>(GatewayApiFactory.Json);
        });
        var signals = api.Services.GetRequiredService<RunEndSignals>();
        await Eventually.TrueAsync(() => signals.WaitingRuns == 1, "the wait is watching the run's end");

        var ledger = new Ledger();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, Clients).Select(c => DriveAsync(api.ClientFor(), c, ledger, options.Shards, stop.Token)).ToList();
        await Eventually.TrueAsync(() => ledger.Runs.Count(r => victimShards.Contains(r.Value.Shard)) >= 100, "load under way on the victim's shards",
            TimeSpan.FromSeconds(60));
        await cluster.HealthyAsync(); // the victim's replica is in sync: it can take over

        await victimNode.KillAsync(); // SIGKILL, and the process has exited
        var killedAt = DateTimeOffset.UtcNow;
        var outage = Stopwatch.StartNew();
        // from the kill on, both the API (clients' writes to the killed master's shards) and the sweeper (a pass
        // every second) must serve again by themselves
        var apiRecovery = Task.Run(async () =>
        {
            await Eventually.TrueAsync(() => ledger.AcknowledgedSince(killedAt, victimShards), "the API serves the killed master's shards again",
                RecoveryBound, TimeSpan.FromMilliseconds(50));
            return outage.Elapsed;
        });
        var sweeperRecovery = Task.Run(async () =>
        {
            await Eventually.TrueAsync(async () =>
            {
                await SweeperHost.TickAsync(sweeperClock, sweeper);
                return sweeper.LastPassSucceeded;
            }, "a sweep pass over every shard succeeds after the kill", RecoveryBound);
            return outage.Elapsed;
        });
        var (apiRecovered, sweeperRecovered) = (await apiRecovery, await sweeperRecovery);

        // The wait ends with the run: by its end signal, or, when the failover lost its subscription (the client
        // does not always follow a sharded channel to the promoted replica), by its fallback poll within a second.
        await waiter.AcceptedAsync(waited.RunId, new { seq = 2, stream = "lifecycle", phase = "end" });
        var ended = Stopwatch.StartNew();
        var wait = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((RunStatus.Ok, true), (wait!.Status, wait.Done));
        var waitAnswered = ended.Elapsed;

        await stop.CancelAsync();
        await Task.WhenAll(load);
        await cluster.HealthyAsync();

        // Every acknowledged spawn must still be there, with every acknowledged event, unless it was acknowledged
        // within the replication window before the kill.
        var reader = api.ClientFor();
        var lost = new List<(string What, TimeSpan BeforeKill)>();
        foreach (var (runId, run) in ledger.Runs)
        {
            var response = await reader.GetAsync($"/v1/runs/{runId}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                lost.Add(($"spawn of {runId}", killedAt - run.SpawnedAt));
                continue;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stored = (await response.Content.ReadFromJsonAsync<RunResponse>(GatewayApiFactory.Json))!;
            foreach (var (seq, at) in run.Events.Where(e => e.Seq > stored.LastSeq)) lost.Add(($"event {seq} of {runId}", killedAt - at));
        }
        var acknowledged = ledger.Runs.Values.Sum(r => 1 + r.Events.Count);
        output.WriteLine($"victim {victim} held shards [{string.Join(",", victimShards)}]; {acknowledged} operations acknowledged " +
            $"({ledger.Runs.Count} spawns); API serving its shards again {apiRecovered.TotalSeconds:F1} s after the SIGKILL, " +
            $"sweeper passes {sweeperRecovered.TotalSeconds:F1} s; a wait from before the kill answered {waitAnswered.TotalSeconds:F2} s after its run's end; " +
            $"lost: {lost.Count}" +
            string.Concat(lost.Select(l => $"\n  {l.What}, acknowledged {l.BeforeKill.TotalMilliseconds:F0} ms before the kill")));
        Assert.All(lost, l => Assert.True(l.BeforeKill <= ReplicationWindow, $"{l.What} acknowledged {l.BeforeKill} before the kill was lost"));

        // and the sweeper, on the cluster as it is now, drains everything
        sweeperClock.AdjustTime(sweeperClock.GetUtcNow() + options.LongestRetention);
        await Eventually.TrueAsync(async () =>
        {
            await SweeperHost.TickAsync(sweeperClock, sweeper);
            return (await api.Registry.SnapshotAsync()).Registries.All(r => r.Entries == 0);
        }, "the sweeper drains every registry after the failover", TimeSpan.FromSeconds(60));
    }

    /// <summary>One client: spawn (with an idempotency key), then start, a message and end, each retried until
    /// acknowledged; a run whose earlier acknowledged write was lost (404, or a seq gap) is left as it is.</summary>
    private static async Task DriveAsync(HttpClient client, int id, Ledger ledger, int shards, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var session = $"failover-{id}-{i % 40}";
            var (spawn, sent) = await RetryAsync(() => client.PostAsJsonAsync("/v1/runs",
                new { requesterSessionKey = session, task = "t", spawnMode = "session", idempotencyKey = $"k{id}-{i}" }, stop), stop);
            if (spawn is null) return;
            var runId = (await spawn.Content.ReadFromJsonAsync<RunResponse>(GatewayApiFactory.Json, CancellationToken.None))!.RunId;
            var run = ledger.Spawned(runId, Shard.ForSession("tenant-a", session, shards).Number, sent);
            object[] events =
            [
                new { seq = 1, stream = "lifecycle", phase = "start" },
                new { seq = 2, stream = "assistant", data = new { text = "working" } },
                new { seq = 3, stream = "lifecycle", phase = "end" },
            ];
            for (var seq = 1; seq <= events.Length; seq++)
            {
                var body = events[seq - 1];
                (var answer, sent) = await RetryAsync(() => client.PostAsJsonAsync($"/v1/runs/{runId}/events", body, stop), stop);
                if (answer is null) return;
                if (answer.StatusCode != HttpStatusCode.Accepted) break;
                run.Acknowledged(seq, sent);
            }
        }
    }

    /// <summary>Sends until Redis answers (anything but 503): the answer and when its request was sent, or no
    /// answer when the load stops.</summary>
    private static async Task<(HttpResponseMessage? Response, DateTimeOffset Sent)> RetryAsync(Func<Task<HttpResponseMessage>> send,
        CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var sent = DateTimeOffset.UtcNow;
                var response = await send();
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable) return (response, sent);
                // a client's back-off (the API's Retry-After of 5 s would hide how soon it serves again)
                await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
        return (null, default);
    }

    private sealed class Ledger
    {
        public ConcurrentDictionary<string, Run> Runs { get; } = new();

        public Run Spawned(string runId, int shard, DateTimeOffset sent) => Runs.GetOrAdd(runId, _ => new Run(shard, DateTimeOffset.UtcNow, sent));

        /// <summary>Whether a write to one of these shards sent after <paramref name="since"/> was acknowledged.</summary>
        public bool AcknowledgedSince(DateTimeOffset since, IReadOnlySet<int> shards) =>
            Runs.Values.Any(r => shards.Contains(r.Shard) && r.LastSent > since);
    }

    /// <summary>A run's acknowledged writes: when each answer came (what the replication window is measured
    /// against), and when the last acknowledged request was sent.</summary>
    private sealed class Run(int shard, DateTimeOffset spawnedAt, DateTimeOffset sent)
    {
        private readonly ConcurrentQueue<(long Seq, DateTimeOffset At)> events = new();

        public int Shard => shard;

        public DateTimeOffset SpawnedAt => spawnedAt;

        public IReadOnlyCollection<(long Seq, DateTimeOffset At)> Events => events;

        public DateTimeOffset LastSent { get; private set; } = sent;

        public void Acknowledged(long seq, DateTimeOffset sent)
        {
            events.Enqueue((seq, DateTimeOffset.UtcNow));
            LastSent = sent;
        }
    }
}
