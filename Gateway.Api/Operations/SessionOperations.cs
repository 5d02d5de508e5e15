using Gateway.Api.Contracts;
using Gateway.Api.Validation;
using Gateway.Registry;

namespace Gateway.Api.Operations;

/// <summary>Every operation on a requester session once, for both transports: its runs, abort-all, and the
/// checks of a read of its event log.</summary>
public sealed class SessionOperations(RunRegistry registry)
{
    /// <summary>Most runs one listing returns (the registry's page).</summary>
    public const int MaxListLimit = 100;

    public async Task<Outcome<List<RunResponse>>> ListRunsAsync(string tenant, string sessionKey, int? limit = null)
    {
        if (CheckSessionKey(sessionKey) is { } invalid) return invalid;
        if (limit is < 1 or > MaxListLimit) return OperationError.Invalid("limit", $"must be between 1 and {MaxListLimit}.");
        var runs = await registry.ListSessionRunsAsync(tenant, sessionKey, limit ?? MaxListLimit);
        var answer = new List<RunResponse>(runs.Count);
        foreach (var run in runs) answer.Add(RunResponse.From(run));
        return answer;
    }

    public async Task<Outcome<SessionAbortResponse>> AbortAsync(string tenant, string sessionKey)
    {
        if (CheckSessionKey(sessionKey) is { } invalid) return invalid;
        return new SessionAbortResponse(await registry.AbortSessionAsync(tenant, sessionKey));
    }

    /// <summary>The session's log after <paramref name="cursor"/>: the first read of a feed (SSE or a subscription),
    /// made before the feed starts so an unreachable Redis is answered as such.</summary>
    /// <param name="cursorField">How the transport names the cursor, for the message (SSE: Last-Event-ID).</param>
    public async Task<Outcome<IReadOnlyList<SessionEvent>>> ReadEventsAsync(string tenant, string sessionKey, string? cursor, string cursorField)
    {
        if (CheckSessionKey(sessionKey) is { } invalid) return invalid;
        if (cursor is not null && !RequestValidation.IsEventId(cursor))
        {
            return OperationError.Invalid(cursorField, "must be an event id from this stream (digits-digits), as sent in 'id:'.");
        }
        return new(await registry.ReadEventsAsync(tenant, sessionKey, cursor), null);
    }

    public static OperationError? CheckSessionKey(string? sessionKey) => RequestValidation.IsValidKey(sessionKey)
        ? null
        : OperationError.Invalid("sessionKey", $"must be {RequestValidation.KeyRule}.");
}
