using System.Diagnostics.Metrics;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// Tells waiters when a run ends. Every script that ends runs publishes their ids in one message on its
/// shard's channel (<c>gw:{NN}:ended</c>, prelude.lua's <c>reply</c>), so a sweep batch that finalizes a
/// thousand runs sends one message, not a thousand. One subscription per shard and process, made on first use,
/// serves every waiter (and every WebSocket session feed, through <see cref="NextEndAsync"/>); StackExchange.Redis renews it after a reconnect, though after a Redis Cluster failover not
/// always on the promoted replica (Faults/ClusterFailoverTests): the waiters' fallback poll covers a lost signal.
/// The waiters are this process's one registry: each removes itself when its wait ends, and the gauge
/// <c>gateway.registry.waiting_runs</c> shows them.
/// </summary>
public sealed class RunEndSignals
{
    private readonly IConnectionMultiplexer redis;

    public RunEndSignals(IConnectionMultiplexer redis, IMeterFactory? meterFactory = null)
    {
        this.redis = redis;
        meterFactory?.Create(RegistryMetrics.MeterName).CreateObservableGauge("gateway.registry.waiting_runs", () => WaitingRuns,
            "{run}", "Runs that waits (GET /v1/runs/{runId}/wait) in this process are watching.");
    }

    private readonly Lock gate = new();
    private readonly Dictionary<string, Waiters> waiting = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Task> subscriptions = [];
    private readonly Dictionary<int, TaskCompletionSource> nextEnds = [];

    /// <summary>Runs someone is waiting for now (each waiter removes its own when done).</summary>
    public int WaitingRuns
    {
        get
        {
            lock (gate) return waiting.Count;
        }
    }

    /// <summary>A task that completes when the run ends (or never, if the message is lost: callers poll too).
    /// Dispose the registration when done waiting.</summary>
    public async Task<Registration> WatchAsync(Shard shard, string runId)
    {
        var registration = Register(runId);
        try
        {
            await SubscribeAsync(shard);
            return registration;
        }
        catch
        {
            registration.Dispose();
            throw;
        }
    }

    /// <summary>A task that completes at the next end of any run signalled on the shard (a session's feed waits on
    /// it beside its poll, so a lost message only costs latency). Redis down: it waits until the feed polls again.</summary>
    public Task NextEndAsync(Shard shard)
    {
        TaskCompletionSource next;
        lock (gate)
        {
            if (!nextEnds.TryGetValue(shard.Number, out next!))
            {
                next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                nextEnds[shard.Number] = next;
            }
        }
        // the next call subscribes again if this one failed
        SubscribeAsync(shard).ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        return next.Task;
    }

    private Registration Register(string runId)
    {
        lock (gate)
        {
            if (!waiting.TryGetValue(runId, out var waiters))
            {
                waiters = new Waiters();
                waiting[runId] = waiters;
            }
            waiters.Count++;
            return new Registration(this, runId, waiters.Ended.Task);
        }
    }

    private void Release(string runId)
    {
        lock (gate)
        {
            if (waiting.TryGetValue(runId, out var waiters) && --waiters.Count == 0) waiting.Remove(runId);
        }
    }

    private Task SubscribeAsync(Shard shard)
    {
        Task subscribing;
        lock (gate)
        {
            if (!subscriptions.TryGetValue(shard.Number, out subscribing!) || subscribing.IsFaulted || subscribing.IsCanceled)
            {
                subscribing = redis.GetSubscriber().SubscribeAsync(Channel(shard), (_, message) => OnEnded(shard, message)).OrLostAsync(redis);
                subscriptions[shard.Number] = subscribing;
            }
        }
        return subscribing;
    }

    private void OnEnded(Shard shard, RedisValue message)
    {
        TaskCompletionSource? next;
        lock (gate) nextEnds.Remove(shard.Number, out next);
        next?.TrySetResult();
        var ids = (string)message!;
        foreach (var range in ids.AsSpan().Split(' '))
        {
            var runId = ids[range];
            lock (gate)
            {
                if (waiting.TryGetValue(runId, out var waiters)) waiters.Ended.TrySetResult();
            }
        }
    }

    public static RedisChannel Channel(Shard shard) => RedisChannel.Sharded($"{shard.Prefix}ended");

    private sealed class Waiters
    {
        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count { get; set; }
    }

    public sealed class Registration(RunEndSignals owner, string runId, Task ended) : IDisposable
    {
        private int disposed;

        public Task Ended => ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) owner.Release(runId);
        }
    }
}
