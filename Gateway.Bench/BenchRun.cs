using System.Diagnostics;
using Gateway.Bench.Load;
using Gateway.Bench.Measure;
using Gateway.Bench.Report;
using Gateway.Bench.Stack;
using StackExchange.Redis;

namespace Gateway.Bench;

/// <summary>
/// One benchmark run, in phases: start (or reach) the stack; warm up; the measured load with a sampler reading
/// the registry, Redis memory and process memory every second; the drain until every registry is empty; the
/// Redis ceiling (redis-benchmark); the sweep cost. Every phase is bounded in count and in time.
/// </summary>
public sealed class BenchRun(BenchOptions options, Func<string, IPhase> phase)
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(1);

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.MaxDuration);
        var ct = limit.Token;
        var loadAverage = ProcStats.LoadAverage();

        var starting = phase("start stack");
        await using var stack = options.Target is null ? await BenchStack.StartAsync(options.RedisCluster, ct) : null;
        var evictions = new SweeperEvictions();
        if (stack is not null) stack.SweeperLine += evictions.Observe;
        starting.Update(1, stack is null ? $"target {options.Target}" : $"api {stack.ApiUrl}, redis {stack.RedisConnection}");

        var redisConnection = stack?.RedisConnection ?? options.Redis!;
        using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection + ",allowAdmin=true");
        // One server, or a cluster: the Redis-side figures add up over its masters, CPU is read per node.
        var nodes = await RedisNodes.ReadAsync(redis, new Gateway.Registry.RegistryOptions().Shards);
        var masters = nodes.Masters;
        var apiUrl = stack?.ApiUrl ?? options.Target!;
        var (apiPid, sweeperPid) = (stack?.ApiPid ?? options.ApiPid, stack?.SweeperPid ?? options.SweeperPid);
        var apiKey = stack is null ? options.ApiKey! : StackSettings.ApiKey;
        using var http = HttpLoadGenerator.CreateClient(apiUrl, apiKey, options.Concurrency);
        using var sampler = HttpLoadGenerator.CreateClient(apiUrl, apiKey, 1);
        await using var sockets = options.Protocol == BenchProtocol.Ws
            ? await WebSocketPool.OpenAsync(apiUrl, apiKey, options.Connections, ct) : null;
        var runTag = $"b{Guid.NewGuid().ToString("N")[..6]}";
        ILoadGenerator NewLoad() => sockets is null
            ? new HttpLoadGenerator(http, runTag, options.Batch)
            : new WebSocketLoadGenerator(sockets.Connections, runTag, options.Batch);
        var baseline = await RedisStats.ReadAsync(masters);

        // Warm-up: JIT, connection pools and the GC heap reach their working size before RSS is first read.
        var warmup = NewLoad();
        var warming = phase("warm-up");
        await WhileSamplingAsync(warmup.RunAsync(0, options.WarmupSessions, options.Concurrency, ct),
            () => warming.Update((double)warmup.SessionsDone / options.WarmupSessions, $"{warmup.SessionsDone:N0} sessions"), ct);
        var apiRssStart = ProcStats.RssMb(apiPid);

        // The measured load.
        var load = NewLoad();
        var loading = phase("load");
        var before = await RedisStats.ReadAsync(masters);
        var mastersBefore = await Task.WhenAll(masters.Select(RedisStats.ReadAsync));
        var nodeCpuBefore = nodes.CpuSeconds();
        var cpuBefore = CpuByProcess(apiPid, sweeperPid, nodeCpuBefore);
        double? apiRssPeak = apiRssStart;
        var (peakRuns, bytesPerRun) = (0L, 0.0);
        var started = Stopwatch.GetTimestamp();
        await WhileSamplingAsync(load.RunAsync(options.WarmupSessions, options.Sessions, options.Concurrency, ct), async () =>
        {
            var reading = await RegistryReading.ReadAsync(sampler, ct);
            var memory = await RedisStats.ReadAsync(masters);
            if (reading.Runs > peakRuns)
            {
                peakRuns = reading.Runs;
                bytesPerRun = (double)(memory.UsedMemory - baseline.UsedMemory) / reading.Runs;
            }
            apiRssPeak = Max(apiRssPeak, ProcStats.RssMb(apiPid));
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            loading.Update((double)load.SessionsDone / options.Sessions,
                $"{load.SessionsDone:N0}/{options.Sessions:N0} sessions, {load.SessionsDone / seconds:N0}/s, " +
                $"p99 {load.Latencies.PercentileMs(0.99):0.#} ms, {reading.Runs:N0} runs held, {load.FailedRequests:N0} failed");
        }, ct);
        var duration = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = await RedisStats.ReadAsync(masters);
        var mastersAfter = await Task.WhenAll(masters.Select(RedisStats.ReadAsync));
        var nodeCpuAfter = nodes.CpuSeconds();
        var cpuAfter = CpuByProcess(apiPid, sweeperPid, nodeCpuAfter);
        var apiRssEnd = ProcStats.RssMb(apiPid);
        var done = Math.Max(load.SessionsDone, 1);

        // The drain: every registry empty, then no registry key left in Redis.
        var draining = phase("drain");
        var drainBound = stack is null ? (TimeSpan?)null : StackSettings.DrainBound;
        var drainLimit = Stopwatch.GetTimestamp();
        double? drainSeconds = null;
        var maxDrain = (drainBound ?? TimeSpan.FromMinutes(10)) * 3 + TimeSpan.FromMinutes(1);
        while (Stopwatch.GetElapsedTime(drainLimit) < maxDrain)
        {
            var reading = await RegistryReading.ReadAsync(sampler, ct);
            var elapsed = Stopwatch.GetElapsedTime(drainLimit);
            draining.Update(reading.Total == 0 ? 1 : Math.Min(0.99, elapsed / maxDrain), $"{reading.Total:N0} entries left, {elapsed.TotalSeconds:0} s");
            if (reading.Total == 0)
            {
                drainSeconds = Math.Round(elapsed.TotalSeconds, 1);
                break;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
        // The sweep pass that empties the last shard deletes its counters in the same script; give it one interval.
        await Task.Delay(StackSettings.SweepInterval * 2, ct);
        var keysLeft = await RegistryKeys.LeftAsync(masters);
        var peakMemory = (await RedisStats.ReadAsync(masters)).UsedMemoryPeak;
        var sweeperRss = ProcStats.RssMb(sweeperPid);

        var httpPhase = phase("http ceiling");
        var httpCeiling = await HttpCeiling.MeasureAsync(http, options.Concurrency, ct);
        httpPhase.Update(1, $"{httpCeiling:N0} requests/s");

        var ceilingPhase = phase("redis ceiling");
        // Both measure in a spare database, which a cluster does not have (database 0 only): single server only.
        var ceiling = nodes.IsCluster ? null : await RedisCeiling.MeasureAsync(nodes.Primary, redisConnection, options.Concurrency, ct);
        ceilingPhase.Update(1, nodes.IsCluster ? "skipped: a cluster has no spare database" : $"{ceiling:N0} ops/s");

        var sweepPhase = phase("sweep cost");
        var sweep = nodes.IsCluster ? null : await new SweepCost(redisConnection, nodes.Primary).MeasureAsync(options.SweepEntries,
            (step, fraction) => sweepPhase.Update(fraction * 0.9, step), ct);
        sweepPhase.Update(1, nodes.IsCluster ? "skipped: a cluster has no spare database"
            : sweep is null ? "skipped: database 1 is not empty" : $"{sweep.EvictionsPerSecond:N0} evictions/s");

        return new BenchResult
        {
            Sessions = load.SessionsDone,
            Concurrency = options.Concurrency,
            Protocol = options.Protocol.ToString().ToLowerInvariant(),
            // HTTP/1.1 carries one session in flight per connection; the WebSocket protocol multiplexes them
            Connections = sockets?.Connections.Count ?? options.Concurrency,
            Batch = options.Batch,
            Stack = (stack is null ? $"target {options.Target}" : "own stack") + (nodes.IsCluster ? $", redis cluster of {masters.Count} masters" : ""),
            LoadAverageStart = loadAverage,
            DurationS = Math.Round(duration, 2),
            Requests = load.Latencies.Count,
            FailedRequests = load.FailedRequests,
            FailuresByStatus = load.Failures.ToDictionary(),
            LifecyclesPerS = Math.Round(load.SessionsDone / duration),
            RequestsPerS = Math.Round(load.Latencies.Count / duration),
            P50Ms = load.Latencies.PercentileMs(0.50),
            P99Ms = load.Latencies.PercentileMs(0.99),
            P999Ms = load.Latencies.PercentileMs(0.999),
            MaxMs = Math.Round(load.Latencies.MaxMs, 2),
            RedisCommandsPerLifecycle = Math.Round((double)(after.RoundTrips - before.RoundTrips) / done, 2),
            RedisServerCommandsPerLifecycle = Math.Round((double)(after.TotalCommands - before.TotalCommands) / done, 2),
            RedisCallsPerLifecycle = after.CallsByCommand
                .Select(c => (c.Key, Calls: c.Value - before.CallsByCommand.GetValueOrDefault(c.Key)))
                .Where(c => c.Calls > 0).OrderByDescending(c => c.Calls)
                .ToDictionary(c => c.Key, c => Math.Round((double)c.Calls / done, 3)),
            RedisCeilingOpsPerS = ceiling,
            HttpCeilingRequestsPerS = httpCeiling,
            LifecycleCeilingPerS = httpCeiling is { } rate && load.Latencies.Count > 0
                ? Math.Round(rate * done / load.Latencies.Count) : null,
            CpuMsPerLifecycle = cpuAfter.ToDictionary(p => p.Key,
                p => p.Value - cpuBefore[p.Key] is { } seconds ? Math.Round(seconds * 1000 / done, 3) : (double?)null),
            RedisNodes = nodes.All.Select((node, i) => new BenchResult.RedisNodeFigures(node.Name, node.Slots, node.Shards,
                nodeCpuAfter[node] - nodeCpuBefore[node] is { } seconds ? Math.Round(seconds * 1000 / done, 3) : null,
                node.Role == "master" ? Math.Round((double)(mastersAfter[i].RoundTrips - mastersBefore[i].RoundTrips) / done, 2) : null)).ToList(),
            ApiRssMbStart = apiRssStart,
            ApiRssMbEnd = apiRssEnd,
            ApiRssMbPeak = apiRssPeak,
            SweeperRssMbEnd = sweeperRss,
            RedisBytesPerLiveRun = Math.Round(bytesPerRun),
            RedisLiveRunsPeak = peakRuns,
            RedisUsedMemoryPeakBytes = peakMemory,
            RedisKeysAfterDrain = keysLeft.Count,
            RedisKeysAfterDrainSample = keysLeft.Take(5).ToList(),
            DrainSeconds = drainSeconds,
            DrainBoundSeconds = drainBound?.TotalSeconds,
            EvictionsByReason = stack is null ? null : evictions.Totals,
            IdleSweepMs1K = sweep?.IdleSweepMs1k,
            IdleSweepMs1M = sweep?.IdleSweepMsLarge,
            IdleSweepRedisMs1K = sweep?.IdleSweepRedisMs1k,
            IdleSweepRedisMs1M = sweep?.IdleSweepRedisMsLarge,
            IdleSweepLargeEntries = sweep?.LargeEntries,
            EvictionsPerS = sweep?.EvictionsPerSecond,
            RunsFinalizedPerS = sweep?.RunsFinalizedPerSecond,
            RunsRemovedPerS = sweep?.RunsRemovedPerSecond,
            SweepKeysLeft = sweep?.KeysLeft,
        };
    }

    /// <summary>Awaits <paramref name="work"/>, running <paramref name="sample"/> once a second meanwhile and once at the end.</summary>
    private static async Task WhileSamplingAsync(Task work, Func<Task> sample, CancellationToken cancellationToken)
    {
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(SampleEvery, cancellationToken));
            await sample();
        }
        await work;
    }

    private static Task WhileSamplingAsync(Task work, Action sample, CancellationToken cancellationToken) =>
        WhileSamplingAsync(work, () => { sample(); return Task.CompletedTask; }, cancellationToken);

    /// <summary>CPU seconds so far of each process; "redis" is every node's together (null if one is not local).</summary>
    private static Dictionary<string, double?> CpuByProcess(int? apiPid, int? sweeperPid, Dictionary<RedisNodes.Node, double?> redisNodes) => new()
    {
        ["gateway-api"] = ProcStats.CpuSeconds(apiPid),
        ["gateway-sweeper"] = ProcStats.CpuSeconds(sweeperPid),
        ["redis"] = redisNodes.Values.Any(v => v is null) ? null : redisNodes.Values.Sum(),
        ["bench"] = ProcStats.CpuSeconds(Environment.ProcessId),
    };

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
