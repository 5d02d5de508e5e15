using System.Security.Claims;
using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Validation;
using Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Endpoints;

/// <summary>/v1/runs: spawn, read, events, wait, abort, tool-event recipients.</summary>
public static class RunEndpoints
{
    public static IEndpointRouteBuilder MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/v1/runs").WithTags("Runs").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        runs.MapPost("/", SpawnAsync).WithSummary("Spawn a run; a repeated idempotencyKey returns the same run (200).")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        runs.MapGet("/{runId}", GetAsync).WithSummary("Read a run.").ProducesRunProblems();
        runs.MapPost("/{runId}/events", AppendEventAsync)
            .WithSummary("Append a lifecycle (start, end, error) or agent event; seq must be the run's last seq + 1.")
            .ProducesRunProblems().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        runs.MapGet("/{runId}/wait", WaitAsync).WithSummary("Wait until the run ends or timeoutMs passes (like agent.wait).")
            .ProducesRunProblems();
        runs.MapPost("/{runId}/abort", AbortAsync).WithSummary("Abort a live run.")
            .ProducesRunProblems().ProducesProblem(StatusCodes.Status409Conflict);
        runs.MapPost("/{runId}/recipients", UpdateRecipientsAsync).WithSummary("Add and remove tool-event recipients (connection ids).")
            .ProducesRunProblems().ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Created<RunResponse>, Ok<RunResponse>, ValidationProblem, ProblemHttpResult>> SpawnAsync(
        SpawnRunRequest request, ClaimsPrincipal user, RunRegistry registry, IOptions<GatewayApiOptions> options, HttpContext context)
    {
        if (RequestValidation.Check(request, registry.Options.MaxRunLifetime) is { Count: > 0 } errors) return Problems.Invalid(errors);
        var tenant = user.Tenant();
        var (result, spawned) = await registry.SpawnRunAsync(new SpawnRequest(tenant, request.RequesterSessionKey!, request.Task!,
            request.Label, request.ChildSessionKey, request.SpawnMode ?? SpawnMode.Run, request.Cleanup ?? CleanupMode.Keep,
            request.RunTimeoutSeconds ?? 0, request.IdempotencyKey));
        if (result.Outcome == SpawnOutcome.Refused)
        {
            context.Response.Headers.RetryAfter = options.Value.RetryAfterSeconds.ToString();
            return Problems.Unavailable("Live runs fill the runs registry (admission control); retry after some runs end.");
        }
        if (spawned is not { } run) return Problems.RunGone(result.RunId!);
        var body = RunResponse.From(run);
        return result.Outcome == SpawnOutcome.Created ? TypedResults.Created($"/v1/runs/{run.RunId}", body) : TypedResults.Ok(body);
    }

    private static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> GetAsync(string runId, ClaimsPrincipal user, RunRegistry registry)
    {
        if (!RequestValidation.IsRunId(runId)) return Problems.RunNotFound(runId);
        var lookup = await registry.GetRunAsync(user.Tenant(), runId);
        return lookup.Outcome switch
        {
            LookupOutcome.Found => TypedResults.Ok(RunResponse.From(lookup.Run!)),
            LookupOutcome.Gone => Problems.RunGone(runId),
            _ => Problems.RunNotFound(runId),
        };
    }

    private static async Task<Results<Accepted<EventAcceptedResponse>, ValidationProblem, ProblemHttpResult>> AppendEventAsync(
        string runId, RunEventRequest request, ClaimsPrincipal user, RunRegistry registry)
    {
        if (!RequestValidation.IsRunId(runId)) return Problems.RunNotFound(runId);
        if (RequestValidation.Check(request) is { Count: > 0 } errors) return Problems.Invalid(errors);
        var seq = request.Seq!.Value;
        var runEvent = request.Stream == RunEventRequest.Lifecycle
            ? new RunEvent(request.Phase!.Value.ToString().ToLowerInvariant(), seq, request.Error ?? "", request.Aborted ?? false)
            : new RunEvent(request.Stream!, seq, request.Data?.GetRawText() ?? "");
        var result = await registry.AppendEventAsync(user.Tenant(), runId, runEvent);
        return result.Outcome switch
        {
            EventOutcome.Accepted => TypedResults.Accepted($"/v1/runs/{runId}", new EventAcceptedResponse(runId, seq, result.EntryId!)),
            EventOutcome.Duplicate => Problems.Conflict(
                $"Duplicate event: seq {seq} was already accepted for run '{runId}' (last accepted seq {result.LastSeq}); expected seq {result.LastSeq + 1}."),
            EventOutcome.Gap => Problems.Conflict(
                $"Out-of-order event: seq {seq} for run '{runId}' leaves a gap; expected seq {result.LastSeq + 1}."),
            EventOutcome.Finished => Problems.Conflict(
                $"Run '{runId}' has already finished (status {Wire(result.Status)}); it accepts no more events."),
            EventOutcome.Gone => Problems.RunGone(runId),
            _ => Problems.RunNotFound(runId),
        };
    }

    private static async Task<Results<Ok<WaitResponse>, ValidationProblem, ProblemHttpResult>> WaitAsync(
        string runId, int? timeoutMs, ClaimsPrincipal user, RunRegistry registry, IOptions<GatewayApiOptions> options,
        CancellationToken cancellationToken)
    {
        if (!RequestValidation.IsRunId(runId)) return Problems.RunNotFound(runId);
        var max = options.Value.MaxWaitTimeout;
        if (timeoutMs is < 0 || timeoutMs > max.TotalMilliseconds)
        {
            return Problems.Invalid(new() { ["timeoutMs"] = [$"must be between 0 and {max.TotalMilliseconds:F0}."] });
        }
        var timeout = timeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Value.DefaultWaitTimeout;
        var lookup = await registry.WaitAsync(user.Tenant(), runId, timeout, cancellationToken, options.Value.WaitFallbackPoll);
        return lookup.Outcome switch
        {
            LookupOutcome.Found when lookup.Run is { } run =>
                TypedResults.Ok(new WaitResponse(runId, run.Status, !run.IsLive, run.StartedAt, run.EndedAt, run.Error)),
            LookupOutcome.Gone => Problems.RunGone(runId),
            _ => Problems.RunNotFound(runId),
        };
    }

    private static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> AbortAsync(string runId, ClaimsPrincipal user, RunRegistry registry)
    {
        if (!RequestValidation.IsRunId(runId)) return Problems.RunNotFound(runId);
        var tenant = user.Tenant();
        var result = await registry.AbortRunAsync(tenant, runId);
        switch (result.Outcome)
        {
            case AbortOutcome.Aborted:
                var lookup = await registry.GetRunAsync(tenant, runId);
                return lookup.Run is { } run ? TypedResults.Ok(RunResponse.From(run)) : Problems.RunGone(runId);
            case AbortOutcome.AlreadyFinished:
                return Problems.Conflict($"Run '{runId}' has already finished (status {Wire(result.Status)}); there is nothing to abort.");
            case AbortOutcome.Gone:
                return Problems.RunGone(runId);
            default:
                return Problems.RunNotFound(runId);
        }
    }

    private static async Task<Results<Ok<RecipientsResponse>, ValidationProblem, ProblemHttpResult>> UpdateRecipientsAsync(
        string runId, RecipientsRequest request, ClaimsPrincipal user, RunRegistry registry, IOptions<RegistryOptions> registryOptions)
    {
        if (!RequestValidation.IsRunId(runId)) return Problems.RunNotFound(runId);
        if (RequestValidation.Check(request) is { Count: > 0 } errors) return Problems.Invalid(errors);
        var result = await registry.UpdateRecipientsAsync(user.Tenant(), runId, request.Add ?? [], request.Remove ?? []);
        return result.Outcome switch
        {
            RecipientsOutcome.Updated => TypedResults.Ok(new RecipientsResponse(result.Recipients)),
            RecipientsOutcome.Full => Problems.Conflict(
                $"Run '{runId}' would have more than {registryOptions.Value.MaxEntries.RecipientsPerRun} recipients; nothing was changed."),
            RecipientsOutcome.Gone => Problems.RunGone(runId),
            _ => Problems.RunNotFound(runId),
        };
    }

    private static RouteHandlerBuilder ProducesRunProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone);

    private static string Wire(RunStatus? status) => status?.ToString().ToLowerInvariant() ?? "unknown";
}
