using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints;

/// <summary>The ProblemDetails every endpoint answers with, so the same mistake reads the same everywhere.</summary>
public static class Problems
{
    public static ValidationProblem Invalid(Dictionary<string, string[]> errors) => TypedResults.ValidationProblem(errors,
        title: "The request is not valid",
        detail: string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));

    public static ProblemHttpResult RunNotFound(string runId) =>
        TypedResults.Problem($"Run '{runId}' does not exist (or belongs to another tenant).", statusCode: StatusCodes.Status404NotFound, title: "Run not found");

    public static ProblemHttpResult RunGone(string runId) =>
        TypedResults.Problem($"Run '{runId}' has been removed by retention; its data is gone.", statusCode: StatusCodes.Status410Gone, title: "Run gone");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable");
}
