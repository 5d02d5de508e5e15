using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Gateway.Api.Contracts;
using Gateway.Registry;
using StackExchange.Redis;

namespace Gateway.Api.Endpoints;

/// <summary>The SSE feed of one session: polls the session's log and yields its entries; no state outside the connection, so any
/// replica can serve a resumed feed.</summary>
public sealed class SessionEventFeed(RunRegistry registry, string tenant, string sessionKey, TimeSpan pollInterval, ILogger logger)
{
    /// <param name="started">Sends the response's headers: called before anything else, so a client knows it is
    /// connected (and every event from then on reaches it) before the first event exists.</param>
    public async IAsyncEnumerable<SseItem<SessionEventResponse>> ReadAsync(IReadOnlyList<SessionEvent> first, string? cursor,
        Func<Task> started, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await started();
        var batch = first;
        var sent = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var e in batch)
            {
                yield return new SseItem<SessionEventResponse>(SessionEventResponse.From(e), e.Type) { EventId = e.Id };
                cursor = e.Id;
                sent++;
            }
            try
            {
                // Real time, not TimeProvider: this paces I/O and must not stall under a test's fake clock.
                if (batch.Count == 0) await Task.Delay(pollInterval, cancellationToken);
                batch = await registry.ReadEventsAsync(tenant, sessionKey, cursor);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (RedisException ex)
            {
                // Headers are sent: end the feed; the client reconnects with Last-Event-ID and loses nothing.
                logger.LogWarning("SSE for session {SessionKey} ended after {Sent} events: Redis unreachable ({Error})", sessionKey, sent, ex.Message);
                yield break;
            }
        }
        logger.LogInformation("SSE for session {SessionKey} closed by the client after {Sent} events", sessionKey, sent);
    }
}
