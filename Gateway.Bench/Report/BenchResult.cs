using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Bench.Report;

/// <summary>Every figure of one run; printed as a table and, with --json, as one JSON object on the last line.</summary>
public sealed record BenchResult
{
    public required long Sessions { get; init; }
    public required int Concurrency { get; init; }
    /// <summary>"http" or "ws" (docs/websocket.md).</summary>
    public required string Protocol { get; init; }
    /// <summary>Connections carrying the load: one per session in flight over HTTP, --connections over WebSocket.</summary>
    public required int Connections { get; init; }
    /// <summary>Events per runs.events request (WebSocket); 1 over HTTP, one event per request.</summary>
    public required int Batch { get; init; }
    public required string Stack { get; init; }
    public required double LoadAverageStart { get; init; }
    public required double DurationS { get; init; }
    public required long Requests { get; init; }
    public required long FailedRequests { get; init; }
    public required IReadOnlyDictionary<string, long> FailuresByStatus { get; init; }
    public required double LifecyclesPerS { get; init; }
    public required double RequestsPerS { get; init; }
    [JsonPropertyName("p50_ms")] public required double P50Ms { get; init; }
    [JsonPropertyName("p99_ms")] public required double P99Ms { get; init; }
    [JsonPropertyName("p999_ms")] public required double P999Ms { get; init; }
    public required double MaxMs { get; init; }
    /// <summary>Function and script calls (FCALL, EVAL/EVALSHA, one round trip each) Redis received per session during the measured
    /// load, the sweeper's and the benchmark's sampling included.</summary>
    public required double RedisCommandsPerLifecycle { get; init; }
    /// <summary>Every command Redis executed per session, those inside scripts included.</summary>
    public required double RedisServerCommandsPerLifecycle { get; init; }
    /// <summary>Calls per session of each Redis command during the load (commandstats; inside scripts too), most first.</summary>
    public required IReadOnlyDictionary<string, double> RedisCallsPerLifecycle { get; init; }
    public required double? RedisCeilingOpsPerS { get; init; }
    /// <summary>GET /alive in a closed loop with the load's own client and connections (HttpCeiling).</summary>
    public required double? HttpCeilingRequestsPerS { get; init; }
    /// <summary>The HTTP ceiling over the workload's requests per lifecycle: what no registry could beat here.</summary>
    public required double? LifecycleCeilingPerS { get; init; }
    public required IReadOnlyDictionary<string, double?> CpuMsPerLifecycle { get; init; }
    /// <summary>Each Redis node (one, or a cluster's masters then replicas): its slots and the registry shards they hold,
    /// its CPU per lifecycle and, on a master, the script calls (round trips) it served per lifecycle.</summary>
    public required IReadOnlyList<RedisNodeFigures> RedisNodes { get; init; }
    public required double? ApiRssMbStart { get; init; }
    public required double? ApiRssMbEnd { get; init; }
    public required double? ApiRssMbPeak { get; init; }
    public required double? SweeperRssMbEnd { get; init; }
    public required double RedisBytesPerLiveRun { get; init; }
    public required long RedisLiveRunsPeak { get; init; }
    public required long RedisUsedMemoryPeakBytes { get; init; }
    public required long RedisKeysAfterDrain { get; init; }
    public required IReadOnlyList<string> RedisKeysAfterDrainSample { get; init; }
    public required double? DrainSeconds { get; init; }
    public required double? DrainBoundSeconds { get; init; }
    public required IReadOnlyDictionary<string, Dictionary<string, long>>? EvictionsByReason { get; init; }
    [JsonPropertyName("idle_sweep_ms_1k")] public required double? IdleSweepMs1K { get; init; }
    [JsonPropertyName("idle_sweep_ms_1m")] public required double? IdleSweepMs1M { get; init; }
    /// <summary>Of an idle pass, the time Redis spent in the sweep scripts (the rest is round trips and the client).</summary>
    [JsonPropertyName("idle_sweep_redis_ms_1k")] public required double? IdleSweepRedisMs1K { get; init; }
    [JsonPropertyName("idle_sweep_redis_ms_1m")] public required double? IdleSweepRedisMs1M { get; init; }
    public required int? IdleSweepLargeEntries { get; init; }
    public required double? EvictionsPerS { get; init; }
    public required double? RunsFinalizedPerS { get; init; }
    public required double? RunsRemovedPerS { get; init; }
    public required long? SweepKeysLeft { get; init; }

    public sealed record RedisNodeFigures(string Node, string Slots, int Shards, double? CpuMsPerLifecycle, double? RoundTripsPerLifecycle);

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
