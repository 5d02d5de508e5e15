using Gateway.Api.Operations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Endpoints;

/// <summary>An operation's error as ProblemDetails, so the same mistake reads the same everywhere (and over the
/// WebSocket, WebSockets/WsErrors maps the same errors to codes).</summary>
public static class Problems
{
    public static ValidationProblem Invalid(OperationError error) => TypedResults.ValidationProblem(error.Errors ?? [],
        title: error.Title, detail: error.Message);

    /// <summary>Any error but <see cref="ErrorKind.Invalid"/> (its own <see cref="ValidationProblem"/>); unavailable
    /// answers carry Retry-After.</summary>
    public static ProblemHttpResult Of(OperationError error, HttpContext context)
    {
        if (error.Kind == ErrorKind.Invalid) throw new InvalidOperationException($"An {error.Kind} error is answered by Problems.Invalid.");
        var status = Status(error);
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = context.RequestServices.GetRequiredService<IOptions<GatewayApiOptions>>().Value.RetryAfterSeconds.ToString();
        }
        return TypedResults.Problem(error.Message, statusCode: status, title: error.Title);
    }

    /// <summary>The ProblemDetails an error is answered with, as a value (an event's result in a batch), field
    /// errors under <c>errors</c> as in a <see cref="ValidationProblem"/>.</summary>
    public static ProblemDetails Details(OperationError error)
    {
        var details = new ProblemDetails { Status = Status(error), Title = error.Title, Detail = error.Message };
        if (error.Errors is { } errors) details.Extensions["errors"] = errors;
        return details;
    }

    public static int Status(OperationError error) => error.Kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Gone => StatusCodes.Status410Gone,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status503ServiceUnavailable,
    };
}
