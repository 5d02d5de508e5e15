using System.Security.Claims;
using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Operations;
using Gateway.Api.Validation;
using Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Endpoints;

/// <summary>/v1/runs: spawn, read, events, wait, abort, tool-event recipients (the operations are
/// Operations/RunOperations, shared with the WebSocket).</summary>
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
        runs.MapPost("/{runId}/events/batch", AppendEventsAsync)
            .WithSummary($"Append 1 to {RunOperations.MaxEventsPerBatch} events of a run in order, in one request; each is answered as if posted alone.")
            .ProducesRunProblems().ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        runs.MapGet("/{runId}/wait", WaitAsync).WithSummary("Wait until the run ends or timeoutMs passes (like agent.wait).")
            .ProducesRunProblems();
        runs.MapPost("/{runId}/abort", AbortAsync).WithSummary("Abort a live run.")
            .ProducesRunProblems().ProducesProblem(StatusCodes.Status409Conflict);
        runs.MapPost("/{runId}/recipients", UpdateRecipientsAsync).WithSummary("Add and remove tool-event recipients (connection ids).")
            .ProducesRunProblems().ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Created<RunResponse>, Ok<RunResponse>, ValidationProblem, ProblemHttpResult>> SpawnAsync(
        SpawnRunRequest request, ClaimsPrincipal user, RunOperations operations, HttpContext context)
    {
        var outcome = await operations.SpawnAsync(user.Tenant(), request);
        if (outcome.Error is { Kind: ErrorKind.Invalid } invalid) return Problems.Invalid(invalid);
        if (outcome.Error is { } error) return Problems.Of(error, context);
        var run = outcome.Value!.Run;
        return outcome.Value.Created ? TypedResults.Created($"/v1/runs/{run.RunId}", run) : TypedResults.Ok(run);
    }

    private static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> GetAsync(string runId, ClaimsPrincipal user,
        RunOperations operations, HttpContext context)
    {
        var outcome = await operations.GetAsync(user.Tenant(), runId);
        return outcome.Error is { } error ? Problems.Of(error, context) : TypedResults.Ok(outcome.Value);
    }

    private static async Task<Results<Accepted<EventAcceptedResponse>, ValidationProblem, ProblemHttpResult>> AppendEventAsync(
        string runId, RunEventRequest request, ClaimsPrincipal user, RunOperations operations, HttpContext context)
    {
        var outcome = await operations.AppendEventAsync(user.Tenant(), runId, request);
        if (outcome.Error is { Kind: ErrorKind.Invalid } invalid) return Problems.Invalid(invalid);
        if (outcome.Error is { } error) return Problems.Of(error, context);
        return TypedResults.Accepted($"/v1/runs/{runId}", outcome.Value);
    }

    /// <summary>The events' results, or the run's 404 or 410 for the whole request when the run is missing (then it
    /// is missing for every event).</summary>
    private static async Task<Results<Ok<EventBatchResponse>, ValidationProblem, ProblemHttpResult>> AppendEventsAsync(
        string runId, RunEventsRequest request, ClaimsPrincipal user, RunOperations operations, HttpContext context)
    {
        var outcome = await operations.AppendEventsAsync(user.Tenant(), runId, request.Events);
        if (outcome.Error is { Kind: ErrorKind.Invalid } invalid) return Problems.Invalid(invalid);
        if (outcome.Error is { } error) return Problems.Of(error, context);
        var results = new EventBatchResult[outcome.Value!.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var result = outcome.Value[i];
            if (result.Error is { Kind: ErrorKind.NotFound or ErrorKind.Gone } missing) return Problems.Of(missing, context);
            results[i] = result.Error is { } refused
                ? new EventBatchResult(Problems.Status(refused), Problem: Problems.Details(refused))
                : new EventBatchResult(StatusCodes.Status202Accepted, result.Value!.Seq, result.Value.EntryId);
        }
        return TypedResults.Ok(new EventBatchResponse(results));
    }

    private static async Task<Results<Ok<WaitResponse>, ValidationProblem, ProblemHttpResult>> WaitAsync(
        string runId, int? timeoutMs, ClaimsPrincipal user, RunRegistry registry, IOptions<GatewayApiOptions> options,
        HttpContext context, CancellationToken cancellationToken)
    {
        if (!RequestValidation.IsRunId(runId)) return Problems.Of(OperationError.RunNotFound(runId), context);
        var max = options.Value.MaxWaitTimeout;
        if (timeoutMs is < 0 || timeoutMs > max.TotalMilliseconds)
        {
            return Problems.Invalid(OperationError.Invalid("timeoutMs", $"must be between 0 and {max.TotalMilliseconds:F0}."));
        }
        var timeout = timeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Value.DefaultWaitTimeout;
        var lookup = await registry.WaitAsync(user.Tenant(), runId, timeout, cancellationToken, options.Value.WaitFallbackPoll);
        return lookup.Outcome switch
        {
            LookupOutcome.Found when lookup.Run is { } run =>
                TypedResults.Ok(new WaitResponse(runId, run.Status, !run.IsLive, run.StartedAt, run.EndedAt, run.Error)),
            LookupOutcome.Gone => Problems.Of(OperationError.RunGone(runId), context),
            _ => Problems.Of(OperationError.RunNotFound(runId), context),
        };
    }

    private static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> AbortAsync(string runId, ClaimsPrincipal user,
        RunOperations operations, HttpContext context)
    {
        var outcome = await operations.AbortAsync(user.Tenant(), runId);
        return outcome.Error is { } error ? Problems.Of(error, context) : TypedResults.Ok(outcome.Value);
    }

    private static async Task<Results<Ok<RecipientsResponse>, ValidationProblem, ProblemHttpResult>> UpdateRecipientsAsync(
        string runId, RecipientsRequest request, ClaimsPrincipal user, RunOperations operations, HttpContext context)
    {
        var outcome = await operations.UpdateRecipientsAsync(user.Tenant(), runId, request);
        if (outcome.Error is { Kind: ErrorKind.Invalid } invalid) return Problems.Invalid(invalid);
        if (outcome.Error is { } error) return Problems.Of(error, context);
        return TypedResults.Ok(outcome.Value);
    }

    private static RouteHandlerBuilder ProducesRunProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone);
}
