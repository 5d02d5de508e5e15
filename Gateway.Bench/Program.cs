using System.CommandLine;
using Gateway.Bench;
using Gateway.Bench.Report;
using Aspire.Hosting;
using Spectre.Console;

var sessions = new Option<int>("--sessions") { Description = "Sessions to run (after a warm-up of 2%, 200..5,000).", DefaultValueFactory = _ => 10_000 };
var concurrency = new Option<int>("--concurrency") { Description = "Sessions in flight at once.", DefaultValueFactory = _ => 64 };
var target = new Option<Uri?>("--target")
{
    Description = "Base URL of a running gateway-api (default: start an own stack on loopback).",
    CustomParser = result => Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var url) ? url : Fail(result, "--target must be an absolute URL."),
};
var apiKey = new Option<string?>("--api-key") { Description = "API key for --target." };
var redis = new Option<string?>("--redis") { Description = "Redis connection string of --target's Redis (for the Redis-side figures)." };
var apiPid = new Option<int?>("--api-pid") { Description = "With --target: the local gateway-api process, for its RSS and CPU." };
var sweeperPid = new Option<int?>("--sweeper-pid") { Description = "With --target: the local gateway-sweeper process, for its RSS and CPU." };
var redisCluster = new Option<bool>("--redis-cluster") { Description = "Own stack: a Redis Cluster of 3 masters with a replica each (the AppHost's Redis:Topology=cluster) instead of one redis-server." };
var protocol = new Option<BenchProtocol>("--protocol") { Description = "http: the HTTP API, one connection per session in flight; ws: the WebSocket protocol /v1/ws (docs/websocket.md).", DefaultValueFactory = _ => BenchProtocol.Http };
var connections = new Option<int>("--connections") { Description = "With --protocol ws: WebSocket connections the sessions in flight share.", DefaultValueFactory = _ => 4 };
var batch = new Option<int>("--batch") { Description = "Events of a session per request: runs.events over ws, POST /v1/runs/{runId}/events/batch over http (1: one request per event, POST /events over http).", DefaultValueFactory = _ => 1 };
var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
var sweepEntries = new Option<int>("--sweep-entries") { Description = "Live runs for the large idle-sweep and eviction measure.", DefaultValueFactory = _ => 1_000_000 };
var maxMinutes = new Option<int>("--max-minutes") { Description = "Stop the whole run after this long, whatever it is doing.", DefaultValueFactory = _ => 60 };

var root = new RootCommand("Gateway load and soak benchmark: seed-shaped sessions through the HTTP API or /v1/ws, then drain, Redis ceiling and sweep cost.")
{
    sessions, concurrency, protocol, connections, batch, target, apiKey, redis, apiPid, sweeperPid, redisCluster, json, sweepEntries, maxMinutes,
};
root.SetAction(async (parse, cancellationToken) =>
{
    if (Problems(parse).ToList() is { Count: > 0 } problems)
    {
        problems.ForEach(Console.Error.WriteLine);
        return 2;
    }
    var options = new BenchOptions(parse.GetValue(sessions), parse.GetValue(concurrency), parse.GetValue(target),
        parse.GetValue(apiKey), parse.GetValue(redis), parse.GetValue(json), parse.GetValue(sweepEntries),
        TimeSpan.FromMinutes(parse.GetValue(maxMinutes)), parse.GetValue(apiPid), parse.GetValue(sweeperPid), parse.GetValue(redisCluster),
        parse.GetValue(protocol), parse.GetValue(connections), parse.GetValue(batch));
    BenchResult? result = null;
    try
    {
        await ProgressView.Create().RunAsync(async phase => result = await new BenchRun(options, phase).RunAsync(cancellationToken));
    }
    catch (DistributedApplicationException ex)
    {
        // the own stack could not start (no redis-server, a resource that failed): the reason, not a stack trace
        Console.Error.WriteLine($"error: {ex.Message}");
        return 1;
    }
    AnsiConsole.Write(ResultTable.Build(result!));
    if (options.Json) Console.WriteLine(result!.ToJson());
    return 0;
});
return await root.Parse(args).InvokeAsync();

static Uri? Fail(System.CommandLine.Parsing.ArgumentResult result, string message)
{
    result.AddError(message);
    return null;
}

IEnumerable<string> Problems(ParseResult parse)
{
    if (parse.GetValue(sessions) < 1) yield return "--sessions must be at least 1.";
    if (parse.GetValue(concurrency) is < 1 or > 4096) yield return "--concurrency must be 1..4096.";
    if (parse.GetValue(connections) is < 1 or > 256) yield return "--connections must be 1..256.";
    if (parse.GetValue(protocol) == BenchProtocol.Ws && parse.GetValue(connections) > parse.GetValue(concurrency)) yield return "--connections must not exceed --concurrency (a connection without a session in flight measures nothing).";
    // a session has at most 5 events; runs.events takes 1..100 (docs/websocket.md)
    if (parse.GetValue(batch) is < 1 or > 100) yield return "--batch must be 1..100.";
    if (parse.GetValue(protocol) == BenchProtocol.Http && parse.GetResult(connections) is { Implicit: false })
        yield return "--connections applies to --protocol ws (over HTTP each session in flight has its connection).";
    if (parse.GetValue(sweepEntries) < 1_000) yield return "--sweep-entries must be at least 1,000.";
    if (parse.GetValue(maxMinutes) < 1) yield return "--max-minutes must be at least 1.";
    if (parse.GetValue(target) is not { } url) yield break;
    if (parse.GetValue(redisCluster)) yield return "--redis-cluster starts the own stack; with --target, a cluster is found from --redis.";
    if (!url.IsLoopback) yield return "--target must be a loopback address (127.0.0.1 or localhost): load goes nowhere else.";
    if (string.IsNullOrEmpty(parse.GetValue(apiKey)) || string.IsNullOrEmpty(parse.GetValue(redis))) yield return "--target needs --api-key and --redis.";
}
