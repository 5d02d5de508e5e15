using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Errors;

/// <summary>
/// The one place exceptions become responses: a request the framework could not read (malformed JSON,
/// unknown enum value, body too large) is the client's mistake (4xx); Redis unreachable, full, busy or loading
/// is 503 with Retry-After (a script that Redis refused wrote nothing), and the next request simply tries again.
/// Anything else stays a 500: it is our bug.
/// </summary>
public sealed class GatewayExceptionHandler(
    IProblemDetailsService problems,
    IOptions<GatewayApiOptions> options,
    ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } =>
                (StatusCodes.Status400BadRequest, "Malformed request body", MalformedJson.Describe(json)),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            _ when StorageFailure.Describe(exception) is { } unavailable =>
                (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", unavailable),
            _ => (0, "", ""),
        };
        if (status == 0) return false;

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning("Redis unavailable while serving {Method} {Path}: {Error}", context.Request.Method, context.Request.Path, exception.Message);
            context.Response.Headers.RetryAfter = options.Value.RetryAfterSeconds.ToString();
        }
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
