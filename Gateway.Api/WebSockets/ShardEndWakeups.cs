using Gateway.Registry;
using StackExchange.Redis;

namespace Gateway.Api.WebSockets;

/// <summary>
/// Wakes session feeds when a run of their shard ends, so a completion is pushed at once rather than at the next
/// poll. It listens to the same per-shard channel as RunEndSignals (one subscription per shard and process) but
/// for any run: a feed waits for "the next end on shard N", and polls anyway, so a lost message only costs latency.
/// </summary>
public sealed class ShardEndWakeups(IConnectionMultiplexer redis)
{
    private readonly Lock gate = new();
    private readonly Dictionary<int, TaskCompletionSource> next = [];
    private readonly Dictionary<int, Task> subscriptions = [];

    /// <summary>Completes at the next run end signalled on <paramref name="shard"/>.</summary>
    public Task NextAsync(Shard shard)
    {
        lock (gate)
        {
            if (!subscriptions.TryGetValue(shard.Number, out var subscribing) || subscribing.IsFaulted || subscribing.IsCanceled)
            {
                subscribing = redis.GetSubscriber().SubscribeAsync(RunEndSignals.Channel(shard), (_, _) => Wake(shard.Number));
                // Redis down: the feeds poll; the next call subscribes again
                subscribing.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                subscriptions[shard.Number] = subscribing;
            }
            if (!next.TryGetValue(shard.Number, out var ended))
            {
                ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                next[shard.Number] = ended;
            }
            return ended.Task;
        }
    }

    private void Wake(int shard)
    {
        TaskCompletionSource? ended;
        lock (gate) next.Remove(shard, out ended);
        ended?.TrySetResult();
    }
}
