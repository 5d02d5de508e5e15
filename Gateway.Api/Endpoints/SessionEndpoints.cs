using System.Security.Claims;
using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Operations;
using Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Endpoints;

/// <summary>/v1/sessions/{sessionKey}: a requester session's runs, abort-all, and its log's events as SSE (the
/// operations are Operations/SessionOperations, shared with the WebSocket).</summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/v1/sessions/{sessionKey}").WithTags("Sessions").RequireAuthorization()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        sessions.MapGet("/runs", ListRunsAsync).WithSummary("The session's runs still in the registry, oldest first.");
        sessions.MapPost("/abort", AbortAsync).WithSummary("Abort every live run of the session.");
        sessions.MapGet("/events", StreamEventsAsync)
            .WithSummary("The session's events as Server-Sent Events; resume with Last-Event-ID (or ?after=).");
        return app;
    }

    private static async Task<Results<Ok<List<RunResponse>>, ValidationProblem>> ListRunsAsync(
        string sessionKey, ClaimsPrincipal user, SessionOperations operations)
    {
        var outcome = await operations.ListRunsAsync(user.Tenant(), sessionKey);
        return outcome.Error is { } error ? Problems.Invalid(error) : TypedResults.Ok(outcome.Value);
    }

    private static async Task<Results<Ok<SessionAbortResponse>, ValidationProblem>> AbortAsync(
        string sessionKey, ClaimsPrincipal user, SessionOperations operations)
    {
        var outcome = await operations.AbortAsync(user.Tenant(), sessionKey);
        return outcome.Error is { } error ? Problems.Invalid(error) : TypedResults.Ok(outcome.Value);
    }

    private static async Task<Results<ServerSentEventsResult<SessionEventResponse>, ValidationProblem>> StreamEventsAsync(
        string sessionKey, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, string? after, ClaimsPrincipal user,
        SessionOperations operations, RunRegistry registry, IOptions<GatewayApiOptions> options, ILogger<SessionEventFeed> logger,
        HttpContext context, CancellationToken cancellationToken)
    {
        var cursor = string.IsNullOrEmpty(lastEventId) ? after : lastEventId;
        // The first read happens before the response starts, so an unreachable Redis still answers 503.
        var first = await operations.ReadEventsAsync(user.Tenant(), sessionKey, cursor, "Last-Event-ID");
        if (first.Error is { } error) return Problems.Invalid(error);
        var stream = new SessionEventFeed(registry, user.Tenant(), sessionKey, options.Value.SsePollInterval, logger);
        return TypedResults.ServerSentEvents(stream.ReadAsync(first.Value!, cursor, () => context.Response.Body.FlushAsync(cancellationToken), cancellationToken));
    }
}
