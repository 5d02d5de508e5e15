using System.Text.Json;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.Operations;
using Gateway.Registry;

namespace Gateway.Api.WebSockets;

/// <summary>
/// A connection's subscriptions, bounded per connection and ended with it: a watch per run (runs.subscribe) that
/// pushes one <c>run.ended</c> when the run is final, and a feed per session (sessions.subscribe) that pushes its
/// log's entries as <c>session.event</c>, like the SSE feed. Both survive a Redis outage: they retry at their poll
/// interval, and the log, read from the subscriber's cursor, loses nothing.
/// </summary>
public sealed class WsSubscriptions(string tenant, WsServices services, WsSendQueue sends, CancellationToken lifetime)
{
    public const int MaxRunIdsPerRequest = 100;

    private readonly Lock gate = new();
    private readonly HashSet<string> runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CancellationTokenSource> sessions = new(StringComparer.Ordinal);

    public Task<WsFrame> SubscribeRuns(string id, List<string>? runIds)
    {
        if (runIds is null || runIds.Count is 0 or > MaxRunIdsPerRequest || runIds.Contains(null!))
        {
            return WsDispatcher.Refuse(id, Invalid("runIds", $"must hold 1 to {MaxRunIdsPerRequest} run ids."));
        }
        var added = new List<string>(runIds.Count);
        lock (gate)
        {
            var fresh = 0;
            foreach (var runId in runIds.Distinct(StringComparer.Ordinal)) if (!runs.Contains(runId)) fresh++;
            var max = services.Limits.MaxRunSubscriptions;
            if (runs.Count + fresh > max)
            {
                return WsDispatcher.Refuse(id, new WsError(WsError.SubscriptionLimit,
                    $"This connection would watch more than {max} runs (it watches {runs.Count}); nothing was subscribed. " +
                    "A watch ends with its run.ended push."));
            }
            foreach (var runId in runIds) if (runs.Add(runId)) added.Add(runId);
        }
        // the answer goes first, so every push follows the request that asked for it
        sends.Enqueue(WsFrameWriter.Ok(id, runIds.Distinct(StringComparer.Ordinal).Count(), static (json, n) =>
        {
            json.WriteStartObject();
            json.WriteNumber("subscribed"u8, n);
            json.WriteEndObject();
        }));
        foreach (var runId in added) _ = WatchRunAsync(runId);
        return Task.FromResult(default(WsFrame));
    }

    /// <summary>Pushes run.ended when the run is final: on its end signal, or the fallback poll (a lost signal), as
    /// RunRegistry.WaitAsync does; a run already final, unknown or gone is pushed at once.</summary>
    private async Task WatchRunAsync(string runId)
    {
        RunEndSignals.Registration? watch = null;
        try
        {
            var known = Shard.TryFromRunId(runId, services.Registry.Options.Shards, out var shard);
            while (!lifetime.IsCancellationRequested)
            {
                try
                {
                    if (known) watch ??= await services.Ends.WatchAsync(shard, runId);
                    var outcome = await services.Runs.GetAsync(tenant, runId);
                    if (outcome.Error is not null || outcome.Value!.Status is not (RunStatus.Pending or RunStatus.Running))
                    {
                        PushRunEnded(runId, outcome);
                        return;
                    }
                }
                catch (Exception ex) when (StorageFailure.Describe(ex) is not null)
                {
                    // Redis down: look again at the next poll
                }
                try
                {
                    await (watch?.Ended ?? Task.Delay(Timeout.Infinite, lifetime)).WaitAsync(services.Options.WaitFallbackPoll, lifetime);
                }
                catch (TimeoutException)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            watch?.Dispose();
            lock (gate) runs.Remove(runId);
        }
    }

    private void PushRunEnded(string runId, Outcome<RunResponse> outcome) =>
        sends.Push("run.ended", (runId, outcome, services.Options.RetryAfterSeconds), static (json, state) =>
        {
            json.WriteStartObject();
            json.WriteString("runId"u8, state.runId);
            if (state.outcome.Error is { } error)
            {
                json.WritePropertyName("error"u8);
                WsFrameWriter.WriteError(json, WsError.From(error, state.RetryAfterSeconds));
            }
            else
            {
                json.WritePropertyName("run"u8);
                JsonSerializer.Serialize(json, state.outcome.Value!, WsJson.Run);
            }
            json.WriteEndObject();
        });

    public async Task<WsFrame> SubscribeSessionAsync(string id, string? sessionKey, string? after)
    {
        if (SessionOperations.CheckSessionKey(sessionKey) is { } invalid) return Error(id, invalid);
        CancellationTokenSource feed;
        CancellationTokenSource? replaced;
        lock (gate)
        {
            var max = services.Limits.MaxSessionSubscriptions;
            if (!sessions.ContainsKey(sessionKey!) && sessions.Count >= max)
            {
                return WsFrameWriter.Error(id, new WsError(WsError.SubscriptionLimit,
                    $"This connection already follows {max} sessions; unsubscribe one first (sessions.unsubscribe)."));
            }
            sessions.TryGetValue(sessionKey!, out replaced);
            feed = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
            sessions[sessionKey!] = feed;
        }
        // a new subscription to a session replaces the old one, from its own cursor
        Cancel(replaced);
        Outcome<IReadOnlyList<SessionEvent>> first;
        try
        {
            first = await services.Sessions.ReadEventsAsync(tenant, sessionKey!, after, "after");
        }
        catch
        {
            Forget(sessionKey!, feed);
            throw;
        }
        if (first.Error is { } error)
        {
            Forget(sessionKey!, feed);
            return Error(id, error);
        }
        sends.Enqueue(WsFrameWriter.Ok(id, true, static (json, _) =>
        {
            json.WriteStartObject();
            json.WriteBoolean("subscribed"u8, true);
            json.WriteEndObject();
        }));
        _ = FollowSessionAsync(sessionKey!, first.Value!, after, feed);
        return default;
    }

    public Task<WsFrame> UnsubscribeSession(string id, string? sessionKey)
    {
        if (SessionOperations.CheckSessionKey(sessionKey) is { } invalid) return Task.FromResult(Error(id, invalid));
        CancellationTokenSource? feed;
        lock (gate) sessions.Remove(sessionKey!, out feed);
        Cancel(feed);
        return Task.FromResult(WsFrameWriter.Ok(id, feed is not null, static (json, removed) =>
        {
            json.WriteStartObject();
            json.WriteBoolean("unsubscribed"u8, removed);
            json.WriteEndObject();
        }));
    }

    /// <summary>Pushes the log's entries after the cursor; with nothing new it reads again at Gateway:SsePollInterval,
    /// or sooner when a run of the session's shard ends (its completion is then in the log).</summary>
    private async Task FollowSessionAsync(string sessionKey, IReadOnlyList<SessionEvent> first, string? cursor, CancellationTokenSource feed)
    {
        var shard = Shard.ForSession(tenant, sessionKey, services.Registry.Options.Shards);
        var batch = first;
        var failing = false;
        try
        {
            while (!feed.IsCancellationRequested)
            {
                foreach (var e in batch)
                {
                    if (feed.IsCancellationRequested || !sends.Push("session.event", (sessionKey, e), WriteSessionEvent)) return;
                    cursor = e.Id;
                }
                // Real time, not TimeProvider: this paces I/O and must not stall under a test's fake clock.
                if (batch.Count == 0) await Task.WhenAny(Task.Delay(services.Options.SsePollInterval, feed.Token), services.Ends.NextEndAsync(shard));
                try
                {
                    batch = await services.Registry.ReadEventsAsync(tenant, sessionKey, cursor);
                    failing = false;
                }
                catch (Exception ex) when (StorageFailure.Describe(ex) is not null)
                {
                    if (!failing) services.Logger.LogWarning("WebSocket feed of session {SessionKey} waits for Redis: {Error}", sessionKey, ex.Message);
                    failing = true;
                    batch = [];
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Forget(sessionKey, feed);
        }
    }

    private static void WriteSessionEvent(Utf8JsonWriter json, (string SessionKey, SessionEvent Event) state)
    {
        json.WriteStartObject();
        json.WriteString("sessionKey"u8, state.SessionKey);
        json.WriteString("id"u8, state.Event.Id);
        json.WriteString("type"u8, state.Event.Type);
        json.WritePropertyName("data"u8);
        JsonSerializer.Serialize(json, SessionEventResponse.From(state.Event), WsJson.SessionEvent);
        json.WriteEndObject();
    }

    private void Forget(string sessionKey, CancellationTokenSource feed)
    {
        lock (gate)
        {
            if (sessions.TryGetValue(sessionKey, out var current) && current == feed) sessions.Remove(sessionKey);
        }
        feed.Dispose();
    }

    private static void Cancel(CancellationTokenSource? feed)
    {
        try
        {
            feed?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // its feed had already ended
        }
    }

    private WsFrame Error(string id, OperationError error) => WsFrameWriter.Error(id, WsError.From(error, services.Options.RetryAfterSeconds));

    private static WsError Invalid(string field, string message) => WsError.From(OperationError.Invalid(field, message), 0);
}
