using System.Diagnostics;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Bench;

/// <summary>
/// Runs Gateway.Bench as a real process at a small size (its own redis-server, gateway-api and gateway-sweeper)
/// and checks that its JSON line carries every figure of issue 5 and that every registry drained. The full sizes
/// (100,000 and 1,000,000 sessions) stay out of CI: see docs/benchmarks.md.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class BenchmarkRunTests
{
    private static readonly string[] RequiredFields =
    [
        "sessions", "lifecycles_per_s", "p50_ms", "p99_ms", "redis_commands_per_lifecycle", "redis_ceiling_ops_per_s",
        "api_rss_mb_start", "api_rss_mb_end", "sweeper_rss_mb_end", "redis_bytes_per_live_run", "redis_used_memory_peak_bytes",
        "redis_keys_after_drain", "drain_seconds", "evictions_by_reason", "idle_sweep_ms_1k", "idle_sweep_ms_1m", "evictions_per_s",
        "http_ceiling_requests_per_s", "lifecycle_ceiling_per_s", "redis_nodes",
    ];

    [Fact]
    public async Task A_small_run_reports_every_figure_and_drains_every_registry()
    {
        _ = RedisServer.Executable; // fails at once with the install command if redis-server is missing
        var (exitCode, output, errors) = await RunBenchAsync(
            "--sessions", "2000", "--concurrency", "32", "--sweep-entries", "20000", "--json", "--max-minutes", "3");

        Assert.True(exitCode == 0, $"Gateway.Bench exited with {exitCode}:\n{errors}\n{output}");
        var lastLine = output.TrimEnd().Split('\n')[^1];
        using var json = JsonDocument.Parse(lastLine);
        var result = json.RootElement;
        foreach (var field in RequiredFields)
        {
            Assert.True(result.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null,
                $"Field '{field}' is missing or null in: {lastLine}");
        }

        Assert.Equal(2000, result.GetProperty("sessions").GetInt64());
        Assert.Equal("http", result.GetProperty("protocol").GetString());
        Assert.Equal(0, result.GetProperty("failed_requests").GetInt64());
        Assert.Equal(0, result.GetProperty("redis_keys_after_drain").GetInt64());
        Assert.True(result.GetProperty("drain_seconds").GetDouble() <= result.GetProperty("drain_bound_seconds").GetDouble() * 2,
            $"The registries took {result.GetProperty("drain_seconds")} s to drain.");
        // Every run the load spawned (warm-up included) was removed by its retention, none by a cap.
        var runs = result.GetProperty("evictions_by_reason").GetProperty("runs");
        Assert.True(runs.GetProperty("ttl").GetInt64() >= 2000, $"runs evicted: {runs}");
        Assert.False(runs.TryGetProperty("cap", out _), $"runs evicted by cap: {runs}");
        Assert.True(result.GetProperty("lifecycles_per_s").GetDouble() > 0);
        Assert.True(result.GetProperty("evictions_per_s").GetDouble() > 0);
        Assert.Equal(0, result.GetProperty("sweep_keys_left").GetInt64());
        var node = Assert.Single(result.GetProperty("redis_nodes").EnumerateArray());
        Assert.Equal(16, node.GetProperty("shards").GetInt32());
        Assert.True(node.GetProperty("cpu_ms_per_lifecycle").GetDouble() > 0);
    }

    [Fact]
    public async Task Over_the_websocket_protocol_a_small_run_batches_the_events_and_drains_every_registry()
    {
        _ = RedisServer.Executable;
        var (exitCode, output, errors) = await RunBenchAsync(
            "--sessions", "1000", "--concurrency", "32", "--protocol", "ws", "--connections", "4", "--batch", "5",
            "--sweep-entries", "1000", "--json", "--max-minutes", "3");

        Assert.True(exitCode == 0, $"Gateway.Bench exited with {exitCode}:\n{errors}\n{output}");
        var lastLine = output.TrimEnd().Split('\n')[^1];
        var result = JsonDocument.Parse(lastLine).RootElement;
        foreach (var field in RequiredFields)
        {
            Assert.True(result.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null,
                $"Field '{field}' is missing or null in: {lastLine}");
        }
        Assert.Equal("ws", result.GetProperty("protocol").GetString());
        Assert.Equal(4, result.GetProperty("connections").GetInt32());
        Assert.Equal(5, result.GetProperty("batch").GetInt32());
        Assert.Equal(1000, result.GetProperty("sessions").GetInt64());
        Assert.Equal(0, result.GetProperty("failed_requests").GetInt64());
        // A session's events went in one runs.events request: spawn + events, and runs.abort for 1 in 20 = 2.05 a session.
        Assert.Equal(2050, result.GetProperty("requests").GetInt64());
        Assert.Equal(0, result.GetProperty("redis_keys_after_drain").GetInt64());
        var runs = result.GetProperty("evictions_by_reason").GetProperty("runs");
        Assert.True(runs.GetProperty("ttl").GetInt64() >= 1000, $"runs evicted: {runs}");
        Assert.True(result.GetProperty("cpu_ms_per_lifecycle").GetProperty("gateway-api").GetDouble() > 0);
    }

    [Fact]
    public async Task Over_http_a_batch_size_sends_a_sessions_events_in_batch_requests_and_drains_every_registry()
    {
        _ = RedisServer.Executable;
        var (exitCode, output, errors) = await RunBenchAsync(
            "--sessions", "1000", "--concurrency", "32", "--batch", "5", "--sweep-entries", "1000", "--json", "--max-minutes", "3");

        Assert.True(exitCode == 0, $"Gateway.Bench exited with {exitCode}:\n{errors}\n{output}");
        var result = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal(("http", 5), (result.GetProperty("protocol").GetString(), result.GetProperty("batch").GetInt32()));
        Assert.Equal(1000, result.GetProperty("sessions").GetInt64());
        // Every event of every batch accepted (a refused one counts as failed), in 2.05 requests a session as over ws.
        Assert.Equal(0, result.GetProperty("failed_requests").GetInt64());
        Assert.Equal(2050, result.GetProperty("requests").GetInt64());
        Assert.Equal(0, result.GetProperty("redis_keys_after_drain").GetInt64());
    }

    [Fact]
    public async Task Against_the_redis_cluster_each_master_reports_its_shards_cpu_and_round_trips()
    {
        var (exitCode, output, errors) = await RunBenchAsync(
            "--sessions", "1000", "--concurrency", "32", "--redis-cluster", "--json", "--max-minutes", "3");

        Assert.True(exitCode == 0, $"Gateway.Bench exited with {exitCode}:\n{errors}\n{output}");
        var result = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal(0, result.GetProperty("failed_requests").GetInt64());
        Assert.Equal(0, result.GetProperty("redis_keys_after_drain").GetInt64());
        var nodes = result.GetProperty("redis_nodes").EnumerateArray().ToList();
        Assert.Equal(6, nodes.Count);
        var masters = nodes.Where(n => n.GetProperty("node").GetString()!.StartsWith("master", StringComparison.Ordinal)).ToList();
        Assert.Equal([6, 5, 5], masters.Select(m => m.GetProperty("shards").GetInt32()));
        Assert.All(nodes, n => Assert.True(n.GetProperty("cpu_ms_per_lifecycle").GetDouble() > 0, $"{n}"));
        // Every round trip went to one master: theirs add up to the whole.
        Assert.Equal(result.GetProperty("redis_commands_per_lifecycle").GetDouble(),
            masters.Sum(m => m.GetProperty("round_trips_per_lifecycle").GetDouble()), 0.05);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunBenchAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(ProjectOutputs.DllOf("Gateway.Bench"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM lets the benchmark stop its own stack; it has a --max-minutes of its own well before this.
            Process.Start("kill", ["-TERM", process.Id.ToString()])?.WaitForExit();
            await process.WaitForExitAsync(CancellationToken.None);
        }
        return (process.ExitCode, await output, await errors);
    }
}
