using Gateway.Registry;

namespace Gateway.Api.Contracts;

public sealed record RunResponse(
    string RunId,
    string RequesterSessionKey,
    string? ChildSessionKey,
    string Task,
    string? Label,
    SpawnMode SpawnMode,
    CleanupMode Cleanup,
    RunStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? EndedReason,
    string? Error,
    long LastSeq,
    DateTimeOffset? LastActiveAt,
    DateTimeOffset TimeoutAt,
    bool ErrorPending)
{
    public static RunResponse From(RunRecord r) => new(r.RunId, r.RequesterSessionKey, r.ChildSessionKey, r.Task, r.Label,
        r.Mode, r.Cleanup, r.Status, r.CreatedAt, r.StartedAt, r.EndedAt, r.EndedReason, r.Error, r.LastSeq,
        r.LastActiveAt, r.TimeoutAt, r.ErrorPending);
}

public sealed record EventAcceptedResponse(string RunId, long Seq, string EntryId);

/// <summary>The result of a wait (agent.wait): <see cref="Done"/> is false when the wait timed out first.</summary>
public sealed record WaitResponse(string RunId, RunStatus Status, bool Done, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Error);

public sealed record SessionAbortResponse(IReadOnlyList<string> Aborted);

public sealed record RecipientsResponse(IReadOnlyList<string> Recipients);

/// <summary>A spawn's answer over the WebSocket: HTTP says <see cref="Created"/> by its status (201 or 200).</summary>
public sealed record SpawnResponse(bool Created, RunResponse Run);
