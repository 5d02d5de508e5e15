using Gateway.Api.Contracts;
using Gateway.Api.Validation;
using Gateway.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Operations;

/// <summary>
/// Every run operation once, for both transports (HTTP endpoints, the WebSocket): validation before anything
/// reaches Redis, the tenant scope, and the messages of each refusal. Redis failures are not caught here: they
/// throw, and each transport answers them as unavailable (Errors/StorageFailure).
/// </summary>
public sealed class RunOperations(RunRegistry registry, IOptions<RegistryOptions> registryOptions)
{
    /// <summary>Most events one runs.events request may carry.</summary>
    public const int MaxEventsPerBatch = 100;

    public async Task<Outcome<SpawnResponse>> SpawnAsync(string tenant, SpawnRunRequest request)
    {
        if (RequestValidation.Check(request, registry.Options.MaxRunLifetime) is { Count: > 0 } errors) return OperationError.Invalid(errors);
        var (result, spawned) = await registry.SpawnRunAsync(new SpawnRequest(tenant, request.RequesterSessionKey!, request.Task!,
            request.Label, request.ChildSessionKey, request.SpawnMode ?? SpawnMode.Run, request.Cleanup ?? CleanupMode.Keep,
            request.RunTimeoutSeconds ?? 0, request.IdempotencyKey));
        if (result.Outcome == SpawnOutcome.Refused)
        {
            return OperationError.Unavailable("Live runs fill the runs registry (admission control); retry after some runs end.");
        }
        if (spawned is not { } run) return OperationError.RunGone(result.RunId!);
        return new SpawnResponse(result.Outcome == SpawnOutcome.Created, RunResponse.From(run));
    }

    public async Task<Outcome<RunResponse>> GetAsync(string tenant, string runId)
    {
        if (!RequestValidation.IsRunId(runId)) return OperationError.RunNotFound(runId);
        var lookup = await registry.GetRunAsync(tenant, runId);
        return lookup.Outcome switch
        {
            LookupOutcome.Found => RunResponse.From(lookup.Run!),
            LookupOutcome.Gone => OperationError.RunGone(runId),
            _ => OperationError.RunNotFound(runId),
        };
    }

    public async Task<Outcome<EventAcceptedResponse>> AppendEventAsync(string tenant, string runId, RunEventRequest request)
    {
        if (!RequestValidation.IsRunId(runId)) return OperationError.RunNotFound(runId);
        if (RequestValidation.Check(request) is { Count: > 0 } errors) return OperationError.Invalid(errors);
        return Answer(runId, request.Seq!.Value, await registry.AppendEventAsync(tenant, runId, ToRunEvent(request)));
    }

    /// <summary>A run's events in order, each answered on its own; the valid ones reach Redis in one call, an invalid
    /// one is refused alone (the events after it then find a gap, as they would one by one).</summary>
    public async Task<Outcome<IReadOnlyList<Outcome<EventAcceptedResponse>>>> AppendEventsAsync(string tenant, string runId,
        IReadOnlyList<RunEventRequest?>? requests)
    {
        if (!RequestValidation.IsRunId(runId)) return OperationError.RunNotFound(runId);
        if (requests is null || requests.Count is 0 or > MaxEventsPerBatch)
        {
            return OperationError.Invalid("events", $"must hold 1 to {MaxEventsPerBatch} events.");
        }
        var answers = new Outcome<EventAcceptedResponse>[requests.Count];
        var valid = new List<RunEvent>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i] is not { } request) answers[i] = OperationError.Invalid("event", "must be an object.");
            else if (RequestValidation.Check(request) is { Count: > 0 } errors) answers[i] = OperationError.Invalid(errors);
            else valid.Add(ToRunEvent(request));
        }
        var results = valid.Count == 0 ? [] : await registry.AppendEventsAsync(tenant, runId, valid);
        for (int i = 0, next = 0; i < answers.Length; i++)
        {
            if (answers[i].Error is null) answers[i] = Answer(runId, requests[i]!.Seq!.Value, results[next++]);
        }
        return answers;
    }

    public async Task<Outcome<RunResponse>> AbortAsync(string tenant, string runId)
    {
        if (!RequestValidation.IsRunId(runId)) return OperationError.RunNotFound(runId);
        var result = await registry.AbortRunAsync(tenant, runId);
        switch (result.Outcome)
        {
            case AbortOutcome.Aborted:
                var lookup = await registry.GetRunAsync(tenant, runId);
                return lookup.Run is { } run ? RunResponse.From(run) : OperationError.RunGone(runId);
            case AbortOutcome.AlreadyFinished:
                return OperationError.Conflict($"Run '{runId}' has already finished (status {Wire(result.Status)}); there is nothing to abort.");
            case AbortOutcome.Gone:
                return OperationError.RunGone(runId);
            default:
                return OperationError.RunNotFound(runId);
        }
    }

    public async Task<Outcome<RecipientsResponse>> UpdateRecipientsAsync(string tenant, string runId, RecipientsRequest request)
    {
        if (!RequestValidation.IsRunId(runId)) return OperationError.RunNotFound(runId);
        if (RequestValidation.Check(request) is { Count: > 0 } errors) return OperationError.Invalid(errors);
        var result = await registry.UpdateRecipientsAsync(tenant, runId, request.Add ?? [], request.Remove ?? []);
        return result.Outcome switch
        {
            RecipientsOutcome.Updated => new RecipientsResponse(result.Recipients),
            RecipientsOutcome.Full => OperationError.Conflict(
                $"Run '{runId}' would have more than {registryOptions.Value.MaxEntries.RecipientsPerRun} recipients; nothing was changed."),
            RecipientsOutcome.Gone => OperationError.RunGone(runId),
            _ => OperationError.RunNotFound(runId),
        };
    }

    private static RunEvent ToRunEvent(RunEventRequest request) => request.Stream == RunEventRequest.Lifecycle
        ? new RunEvent(request.Phase!.Value.ToString().ToLowerInvariant(), request.Seq!.Value, request.Error ?? "", request.Aborted ?? false)
        : new RunEvent(request.Stream!, request.Seq!.Value, request.Data?.GetRawText() ?? "");

    private static Outcome<EventAcceptedResponse> Answer(string runId, long seq, EventResult result) => result.Outcome switch
    {
        EventOutcome.Accepted => new EventAcceptedResponse(runId, seq, result.EntryId!),
        EventOutcome.Duplicate => OperationError.Conflict(
            $"Duplicate event: seq {seq} was already accepted for run '{runId}' (last accepted seq {result.LastSeq}); expected seq {result.LastSeq + 1}."),
        EventOutcome.Gap => OperationError.Conflict(
            $"Out-of-order event: seq {seq} for run '{runId}' leaves a gap; expected seq {result.LastSeq + 1}."),
        EventOutcome.Finished => OperationError.Conflict(
            $"Run '{runId}' has already finished (status {Wire(result.Status)}); it accepts no more events."),
        EventOutcome.Gone => OperationError.RunGone(runId),
        _ => OperationError.RunNotFound(runId),
    };

    private static string Wire(RunStatus? status) => status?.ToString().ToLowerInvariant() ?? "unknown";
}
