using Gateway.Api.Operations;
using Microsoft.AspNetCore.Http.HttpResults;
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
        var status = error.Kind switch
        {
            ErrorKind.NotFound => StatusCodes.Status404NotFound,
            ErrorKind.Gone => StatusCodes.Status410Gone,
            ErrorKind.Conflict => StatusCodes.Status409Conflict,
            ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => throw new InvalidOperationException($"A {error.Kind} error is answered by Problems.Invalid."),
        };
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = context.RequestServices.GetRequiredService<IOptions<GatewayApiOptions>>().Value.RetryAfterSeconds.ToString();
        }
        return TypedResults.Problem(error.Message, statusCode: status, title: error.Title);
    }
}
