using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Registry;

namespace Gateway.Api.Contracts;

// Every field is nullable so that a missing one reaches RequestValidation and is named in the 400;
// unknown properties are refused so a misspelt field is an error, not a silent default.

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SpawnRunRequest(
    string? RequesterSessionKey,
    string? Task,
    string? Label = null,
    string? ChildSessionKey = null,
    SpawnMode? SpawnMode = null,
    CleanupMode? Cleanup = null,
    int? RunTimeoutSeconds = null,
    string? IdempotencyKey = null);

/// <summary>A lifecycle event (<c>stream: "lifecycle"</c> with a phase) or an agent event (any other stream, with data).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RunEventRequest(
    long? Seq,
    string? Stream,
    LifecyclePhase? Phase = null,
    bool? Aborted = null,
    string? Error = null,
    JsonElement? Data = null)
{
    public const string Lifecycle = "lifecycle";
}

public enum LifecyclePhase { Start, End, Error }

/// <summary>Up to <c>RunOperations.MaxEventsPerBatch</c> events of one run, applied in order as one operation.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RunEventsRequest(List<RunEventRequest?>? Events);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RecipientsRequest(IReadOnlyList<string>? Add = null, IReadOnlyList<string>? Remove = null);
