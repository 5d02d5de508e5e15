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

    /// <summary>The limits of /v1/ws (Gateway:WebSocket), told to each client in hello-ok.</summary>
    public WebSocketLimits WebSocket { get; set; } = new();
}

public sealed class WebSocketLimits
{
    /// <summary>Largest frame a client may send before its connect is accepted.</summary>
    public const int PreConnectMaxBytes = 64 * 1024;

    /// <summary>Largest frame accepted after connect (a runs.events batch of 100 events fits); larger closes with 1009.</summary>
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>Answers and pushes queued for one connection; past it the client is a slow reader and is disconnected.</summary>
    public int MaxBufferedBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Requests of one connection processed at once; past it the server stops reading that socket.</summary>
    public int MaxInFlight { get; set; } = 256;

    /// <summary>Runs one connection may watch (runs.subscribe) at once.</summary>
    public int MaxRunSubscriptions { get; set; } = 1000;

    /// <summary>Sessions one connection may follow (sessions.subscribe) at once.</summary>
    public int MaxSessionSubscriptions { get; set; } = 100;

    /// <summary>How long a closing handshake may take (a slow reader's last frames and the close) before the socket is aborted.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public bool IsValid => MaxPayloadBytes >= 1024 && MaxBufferedBytes >= MaxPayloadBytes && MaxInFlight > 0
        && MaxRunSubscriptions > 0 && MaxSessionSubscriptions > 0 && CloseTimeout > TimeSpan.Zero;
}

public sealed class ApiKey
{
    public string Key { get; set; } = "";
    public string Tenant { get; set; } = "";
}
