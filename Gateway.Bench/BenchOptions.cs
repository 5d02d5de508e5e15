namespace Gateway.Bench;

/// <summary>How the load reaches the API: the HTTP API, or the WebSocket protocol of docs/websocket.md.</summary>
public enum BenchProtocol { Http, Ws }

/// <summary>What one benchmark run does, from the command line.</summary>
public sealed record BenchOptions(
    int Sessions,
    int Concurrency,
    Uri? Target,
    string? ApiKey,
    string? Redis,
    bool Json,
    int SweepEntries,
    TimeSpan MaxDuration,
    int? ApiPid = null,
    int? SweeperPid = null,
    bool RedisCluster = false,
    BenchProtocol Protocol = BenchProtocol.Http,
    int Connections = 4,
    int Batch = 1)
{
    /// <summary>Sessions run before measuring, so that the JIT, pools and caches are warm when RSS is first read.</summary>
    public int WarmupSessions => Math.Clamp(Sessions / 50, 200, 5_000);
}
