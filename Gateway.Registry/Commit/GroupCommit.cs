using System.Diagnostics.Metrics;
using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// Group commit: operations that arrive together for the same shard go to Redis as one script call
/// (batch.lua), so the script's prelude, the policy's decoding and the round trip are paid once per batch.
/// Each shard has at most one call in flight; what arrives meanwhile waits and goes together in the next,
/// so a quiet shard sends each operation at once (no added wait) and a busy one sends larger batches.
/// Operations of a shard are applied in the order they were submitted, each with its own result, exactly as
/// alone: a caller may submit a run's events without awaiting each. A failed call fails every operation in
/// it; a batch is refused as a whole (Redis full, busy), never half applied.
/// The waiting operations are a registry of this process: bounded by <see cref="MaxWaiting"/> per shard
/// (past it a submit throws <see cref="RegistryOverloadedException"/>), shown by <c>gateway.registry.commit.waiting</c>.
/// </summary>
public sealed class GroupCommit
{
    /// <summary>Most operations in one script call: a batch runs in Redis without interruption, so its size
    /// bounds how long it holds other clients up (100 small operations take about a millisecond).</summary>
    public const int MaxBatch = 100;

    /// <summary>Most operations waiting for one shard; past it Redis is far behind, and callers are told so.</summary>
    public const int MaxWaiting = 10_000;

    private readonly RegistryScripts scripts;
    private readonly RegistryMetrics metrics;
    private readonly ShardQueue[] queues;
    private readonly Histogram<long> batchSizes;

    public GroupCommit(RegistryScripts scripts, RegistryMetrics metrics, IMeterFactory meterFactory)
    {
        this.scripts = scripts;
        this.metrics = metrics;
        queues = Enumerable.Range(0, scripts.Policy.Options.Shards).Select(_ => new ShardQueue()).ToArray();
        var meter = meterFactory.Create(RegistryMetrics.MeterName);
        batchSizes = meter.CreateHistogram<long>("gateway.registry.commit.batch_size", "{operation}",
            "Operations applied by one script call (group commit).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 100] });
        meter.CreateObservableGauge("gateway.registry.commit.waiting", () => queues.Sum(q => q.Count), "{operation}",
            "Operations waiting for their shard's script call in flight (group commit).");
    }

    /// <summary>Applies an operation with the others of its shard that arrive meanwhile; completes with its own reply.</summary>
    public Task<ScriptReply> SubmitAsync(Shard shard, Operation operation)
    {
        var queue = queues[shard.Number];
        // Completed inline: the caller's continuation runs on the thread that completes the batch (which holds no
        // lock then), not as another thread-pool hand-off per operation.
        var pending = new Pending(operation, new TaskCompletionSource<ScriptReply>());
        bool start;
        lock (queue.Gate)
        {
            if (queue.Waiting.Count >= MaxWaiting)
            {
                throw new RegistryOverloadedException(
                    $"{MaxWaiting} operations are already waiting for shard {shard.Number}: Redis is far behind.");
            }
            queue.Waiting.Enqueue(pending);
            start = !queue.Busy;
            queue.Busy = true;
        }
        // the submitter that finds the shard idle sends the call itself (up to its first await), no thread hop
        if (start) _ = DrainAsync(shard, queue);
        return pending.Done.Task;
    }

    private async Task DrainAsync(Shard shard, ShardQueue queue)
    {
        while (true)
        {
            Pending[] batch;
            lock (queue.Gate)
            {
                if (queue.Waiting.Count == 0)
                {
                    queue.Busy = false;
                    return;
                }
                batch = new Pending[Math.Min(queue.Waiting.Count, MaxBatch)];
                for (var i = 0; i < batch.Length; i++) batch[i] = queue.Waiting.Dequeue();
            }
            try
            {
                var (replies, evictions) = await scripts.RunBatchAsync(shard, Array.ConvertAll(batch, p => p.Operation));
                batchSizes.Record(batch.Length);
                if (evictions.Count > 0) metrics.Evicted(evictions);
                for (var i = 0; i < batch.Length; i++)
                {
                    // an operation Redis refused (batch.lua): its caller sees what a script of its own would have thrown
                    if (replies[i].Outcome == "error") batch[i].Done.TrySetException(new RedisServerException(replies[i].Text(0)));
                    else batch[i].Done.TrySetResult(replies[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var pending in batch) pending.Done.TrySetException(ex);
            }
        }
    }

    private readonly record struct Pending(Operation Operation, TaskCompletionSource<ScriptReply> Done);

    private sealed class ShardQueue
    {
        public readonly Lock Gate = new();
        public readonly Queue<Pending> Waiting = new();
        public bool Busy;

        public int Count
        {
            get
            {
                lock (Gate) return Waiting.Count;
            }
        }
    }
}

/// <summary>Too many operations wait for one shard: Redis is far behind. Nothing of this operation was stored;
/// the API answers 503 with Retry-After.</summary>
public sealed class RegistryOverloadedException(string message) : Exception(message);
