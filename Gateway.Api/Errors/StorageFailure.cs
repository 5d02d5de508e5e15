using StackExchange.Redis;

namespace Gateway.Api.Errors;

/// <summary>Which exceptions mean "Redis is down or refusing for now" (a script Redis refused wrote nothing), and
/// what a client is told: HTTP answers them 503 with Retry-After, the WebSocket <c>unavailable</c>.</summary>
public static class StorageFailure
{
    /// <summary>The message for a client, or null when the exception is not a passing storage failure.</summary>
    public static string? Describe(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => "Redis is unreachable; retry later.",
        RedisServerException server when Unavailable(server.Message) is { } why => $"{why}; nothing was stored, retry later.",
        _ => null,
    };

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
