using System.Text.Json;
using Gateway.Registry;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

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
                (StatusCodes.Status400BadRequest, "Malformed request body", json.Path is { } path
                    ? $"Invalid value at {path} (malformed JSON, wrong type, unknown enum value or unknown property): {json.Message}"
                    : $"The request body is not valid JSON for this endpoint: {json.Message}"),
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            RedisConnectionException or RedisTimeoutException =>
                (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", "Redis is unreachable; retry later."),
            RedisServerException server when Unavailable(server.Message) is { } why =>
                (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", $"{why}; nothing was stored, retry later."),
            RegistryOverloadedException overloaded =>
                (StatusCodes.Status503ServiceUnavailable, "Storage overloaded", $"{overloaded.Message} Nothing was stored, retry later."),
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

    /// <summary>Redis' answers for a state that passes (its error prefix), as a client should read them.</summary>
    private static string? Unavailable(string error) => error.Split(' ', 2)[0] switch
    {
        "OOM" => "Redis is full (maxmemory reached)",
        "BUSY" => "Redis is busy running a script",
        "LOADING" => "Redis is loading its data after a restart",
        "READONLY" or "MASTERDOWN" or "CLUSTERDOWN" or "TRYAGAIN" => "Redis is failing over",
        _ => null,
    };
}
