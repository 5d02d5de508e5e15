using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>
/// A backstop for a Redis call whose reply never comes. StackExchange.Redis times out what it sent, but a call
/// queued on a connection while that connection is being torn down is neither answered nor timed out (a race
/// between its RecordConnectionFailed and EnqueueInsideWriteLock, StackExchange.Redis issue #2742). One such call
/// would hold its shard's group commit, and so every operation of that shard, for good: the likeliest cause of the
/// API acknowledging nothing for 60 s after Redis was SIGKILLed under load (Faults/RedisKillTests, once in CI; not
/// reproduced here). The two overloads are kept apart rather than one awaiting the other: this is on every call's path. Past twice the client's timeout the call is given up as a
/// <see cref="RedisTimeoutException"/>: its caller sees what any timeout shows (503 and retry; whether it ran
/// is unknown), and what waited behind it goes on. A call the client cancels as its connection fails (seen while a
/// restarted Redis was loading its AOF) is a <see cref="RedisConnectionException"/> too, not a cancellation the
/// API would answer 500 (Faults/RedisKillTests, once in CI).
/// </summary>
public static class LostReplies
{
    public static async Task<T> OrLostAsync<T>(this Task<T> call, IConnectionMultiplexer redis)
    {
        try
        {
            return await call.WaitAsync(Backstop(redis));
        }
        catch (TimeoutException) when (!call.IsCompleted)
        {
            throw Lost(redis);
        }
        catch (OperationCanceledException) when (call.IsCanceled)
        {
            throw Canceled();
        }
    }

    public static async Task OrLostAsync(this Task call, IConnectionMultiplexer redis)
    {
        try
        {
            await call.WaitAsync(Backstop(redis));
        }
        catch (TimeoutException) when (!call.IsCompleted)
        {
            throw Lost(redis);
        }
        catch (OperationCanceledException) when (call.IsCanceled)
        {
            throw Canceled();
        }
    }

    private static RedisConnectionException Canceled() => new(ConnectionFailureType.None,
        "The Redis client canceled the call as its connection failed (Redis restarting or loading): whether it ran is unknown.");

    private static TimeSpan Backstop(IConnectionMultiplexer redis) => TimeSpan.FromMilliseconds(2 * Math.Max(redis.TimeoutMilliseconds, 1000));

    private static RedisTimeoutException Lost(IConnectionMultiplexer redis) => new(
        $"Redis did not answer within {Backstop(redis).TotalSeconds:0.#} s, and the client never timed the call out: given up as lost.",
        CommandStatus.Unknown);
}
