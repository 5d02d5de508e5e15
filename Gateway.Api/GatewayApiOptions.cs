namespace Gateway.Api;

/// <summary>The API's own settings: the "Gateway" configuration section.</summary>
public sealed class GatewayApiOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Accepted API keys, each bound to one tenant (env: Gateway__ApiKeys__0__Key, Gateway__ApiKeys__0__Tenant).</summary>
    public List<ApiKey> ApiKeys { get; set; } = [];

    /// <summary>Largest request body accepted; larger bodies answer 413.</summary>
    public long MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long GET /v1/runs/{runId}/wait waits when timeoutMs is not given.</summary>
    public TimeSpan DefaultWaitTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait a client may ask for.</summary>
    public TimeSpan MaxWaitTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a wait looks at its run when no end signal came (one lost while Redis reconnected).</summary>
    public TimeSpan WaitFallbackPoll { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often an SSE connection polls its session's log when it has nothing new to send.</summary>
    public TimeSpan SsePollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The Retry-After a client is given when Redis is unreachable or admission control refuses.</summary>
    public int RetryAfterSeconds { get; set; } = 5;
}

public sealed class ApiKey
{
    public string Key { get; set; } = "";
    public string Tenant { get; set; } = "";
}
