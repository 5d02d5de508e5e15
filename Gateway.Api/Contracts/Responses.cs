using System.Text.Json.Serialization;
using Gateway.Registry;
using Microsoft.AspNetCore.Mvc;

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

/// <summary>The answer to <c>POST /v1/runs/{runId}/events/batch</c>: one result per event, in the request's order.</summary>
public sealed record EventBatchResponse(IReadOnlyList<EventBatchResult> Results);

/// <summary>One event of a batch, answered as if it had been posted alone: its status (202, 400 or 409), with its seq
/// and entryId when accepted, or the ProblemDetails it would have had.</summary>
public sealed record EventBatchResult(
    int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Seq = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EntryId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ProblemDetails? Problem = null);

/// <summary>The result of a wait (agent.wait): <see cref="Done"/> is false when the wait timed out first.</summary>
public sealed record WaitResponse(string RunId, RunStatus Status, bool Done, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Error);

public sealed record SessionAbortResponse(IReadOnlyList<string> Aborted);

public sealed record RecipientsResponse(IReadOnlyList<string> Recipients);

/// <summary>A spawn's answer over the WebSocket: HTTP says <see cref="Created"/> by its status (201 or 200).</summary>
public sealed record SpawnResponse(bool Created, RunResponse Run);
