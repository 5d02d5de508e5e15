using System.Diagnostics;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Registry;

/// <summary>
/// <see cref="LostReplies"/>: a Redis call whose reply never comes (a StackExchange.Redis race while a connection
/// is torn down) is given up as a timeout after twice the client's timeout, so nothing waits on it for good (a
/// shard's group commit, the sweeper's leases); a reply that comes, or an error Redis gives, passes as it was.
/// </summary>
public sealed class LostReplyTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_call_never_answered_is_given_up_as_a_timeout_after_twice_the_clients_timeout()
    {
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",syncTimeout=1000");
        var waited = Stopwatch.StartNew();

        var lost = await Assert.ThrowsAsync<RedisTimeoutException>(() => new TaskCompletionSource<RedisResult>().Task.OrLostAsync(client));

        Assert.True(waited.Elapsed >= TimeSpan.FromSeconds(1.9), $"given up after {waited.Elapsed.TotalSeconds:F1} s, before twice the 1 s timeout");
        Assert.Contains("did not answer within 2 s", lost.Message);
        await Assert.ThrowsAsync<RedisTimeoutException>(() => ((Task)new TaskCompletionSource().Task).OrLostAsync(client));
    }

    [Fact]
    public async Task A_call_the_client_cancels_is_a_connection_failure_not_a_cancellation()
    {
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var canceled = new TaskCompletionSource<RedisResult>();
        canceled.SetCanceled();

        var failure = await Assert.ThrowsAsync<RedisConnectionException>(() => canceled.Task.OrLostAsync(client));
        Assert.Contains("canceled the call", failure.Message);
        await Assert.ThrowsAsync<RedisConnectionException>(() => ((Task)canceled.Task).OrLostAsync(client));
    }

    [Fact]
    public async Task A_reply_or_an_error_from_Redis_passes_as_it_was()
    {
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = client.GetDatabase();

        Assert.Equal("PONG", (string?)await db.ExecuteAsync("PING").OrLostAsync(client));
        var refused = await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("NO-SUCH-COMMAND").OrLostAsync(client));
        Assert.Contains("unknown command", refused.Message);
    }
}
