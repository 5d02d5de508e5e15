using System.Security.Claims;
using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Validation;
using Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Endpoints;

/// <summary>/v1/sessions/{sessionKey}: a requester session's runs, abort-all, and its log's events as SSE.</summary>
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
        string sessionKey, ClaimsPrincipal user, RunRegistry registry)
    {
        if (InvalidSessionKey(sessionKey) is { } problem) return problem;
        var runs = await registry.ListSessionRunsAsync(user.Tenant(), sessionKey);
        return TypedResults.Ok(runs.Select(RunResponse.From).ToList());
    }

    private static async Task<Results<Ok<SessionAbortResponse>, ValidationProblem>> AbortAsync(
        string sessionKey, ClaimsPrincipal user, RunRegistry registry)
    {
        if (InvalidSessionKey(sessionKey) is { } problem) return problem;
        return TypedResults.Ok(new SessionAbortResponse(await registry.AbortSessionAsync(user.Tenant(), sessionKey)));
    }

    private static async Task<Results<ServerSentEventsResult<SessionEventResponse>, ValidationProblem>> StreamEventsAsync(
        string sessionKey, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, string? after, ClaimsPrincipal user,
        RunRegistry registry, IOptions<GatewayApiOptions> options, ILogger<SessionEventFeed> logger, HttpContext context,
        CancellationToken cancellationToken)
    {
        if (InvalidSessionKey(sessionKey) is { } problem) return problem;
        var cursor = string.IsNullOrEmpty(lastEventId) ? after : lastEventId;
        if (cursor is not null && !RequestValidation.IsEventId(cursor))
        {
            return Problems.Invalid(new() { ["Last-Event-ID"] = ["must be an event id from this stream (digits-digits), as sent in 'id:'."] });
        }
        var stream = new SessionEventFeed(registry, user.Tenant(), sessionKey, options.Value.SsePollInterval, logger);
        // The first read happens before the response starts, so an unreachable Redis still answers 503.
        var first = await registry.ReadEventsAsync(user.Tenant(), sessionKey, cursor);
        return TypedResults.ServerSentEvents(stream.ReadAsync(first, cursor, () => context.Response.Body.FlushAsync(cancellationToken), cancellationToken));
    }

    private static ValidationProblem? InvalidSessionKey(string sessionKey) => RequestValidation.IsValidKey(sessionKey)
        ? null
        : Problems.Invalid(new() { ["sessionKey"] = [$"must be {RequestValidation.KeyRule}."] });
}
