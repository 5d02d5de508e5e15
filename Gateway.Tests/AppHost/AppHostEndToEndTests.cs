using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Gateway.Tests.AppHost;

/// <summary>
/// The real AppHost through Aspire.Hosting.Testing: DCP starts redis-server, gateway-api and gateway-sweeper as
/// processes; runs driven through the API are swept by the sweeper's dashboard command to zero registry keys;
/// disposing the app leaves no process behind.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class AppHostEndToEndTests
{
    private const int Runs = 12;

    // What a drained gateway keeps while its sweeper lives: the shard leases and the sweepers' heartbeats.
    private static readonly Regex SweeperKeys = new(@"^gw:(sweepers|\{[0-9a-f]{2}\}:lease)$");

    [Theory]
    [InlineData("single")]
    [InlineData("cluster")]
    public async Task Runs_spawned_through_the_api_are_swept_to_zero_keys_and_no_process_outlives_the_app(string topology)
    {
        // A sweeper that passes once a minute: what is swept here is swept by the "Sweep now" command.
        var app = await TestAppHost.StartAsync($"--Redis:Topology={topology}", "--Sweeper:Interval=00:01:00", "--Sweeper:LeaseDuration=00:03:00");
        IReadOnlyList<int> processes;
        await using (app)
        {
            processes = await app.AllProcessesAsync();
            Assert.True(processes.Count >= 3, $"processes: {string.Join(", ", processes)}");
            var api = Processes.Tree(await app.PidOfAsync("gateway-api")).Single(p => Processes.CommandLine(p).Contains("Gateway.Api", StringComparison.Ordinal) && !Processes.CommandLine(p).Contains("dotnet run"));
            var environment = Processes.EnvironmentOf(api);
            Assert.Contains("password=", environment["ConnectionStrings__redis"]);
            Assert.Equal("00:00:02", environment["Registry__RunArchiveAfterEnd"]);
            Assert.Equal("gateway-api", environment["OTEL_SERVICE_NAME"]);

            // The dashboard links the API's reference; redis' password is in no argument the dashboard shows.
            var apiState = await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway-api");
            Assert.Contains(apiState.Snapshot.Urls, u => u.Url.EndsWith("/scalar", StringComparison.Ordinal));
            Assert.Contains(apiState.Snapshot.Urls, u => u.Url.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
            var password = ConfigurationOptions.Parse((await app.GetConnectionStringAsync("redis"))!).Password!;
            var redisProcesses = TestAppHost.RedisProcessResources(app);
            Assert.Equal(topology == "cluster" ? 6 : 1, redisProcesses.Count);
            foreach (var name in redisProcesses)
            {
                var redisState = await app.ResourceNotifications.WaitForResourceHealthyAsync(name);
                var redisArgs = redisState.Snapshot.Properties.Single(p => p.Name == "executable.args").Value;
                Assert.DoesNotContain(password, JsonSerializer.Serialize(redisArgs));
                Assert.DoesNotContain(password, Processes.CommandLine(await app.PidOfAsync(name)));
            }

            using var http = app.CreateApiClient();
            var runIds = new List<string>();
            for (var i = 0; i < Runs; i++)
            {
                var spawned = await http.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = $"session-{i}", task = "e2e" });
                Assert.Equal(HttpStatusCode.Created, spawned.StatusCode);
                var runId = (await spawned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
                await http.PostEventAsync(runId, new { seq = 1, stream = "lifecycle", phase = "start" });
                await http.PostEventAsync(runId, new { seq = 2, stream = "lifecycle", phase = "end" });
                runIds.Add(runId);
            }
            var snapshot = await app.SweeperCommandAsync("registry-snapshot");
            Assert.Equal(Runs, SweeperCommandCalls.Entries(snapshot, "runs"));
            if (topology == "cluster") await AssertShardsSpreadOverTheMastersAsync(app);

            // Once the archive (2 s) has passed, a sweep removes the runs, with their session logs (cascade), and
            // leaves tombstones; once their retention (5 s) has passed too, nothing is left but the sweeper's leases.
            var swept = new Dictionary<(string Registry, string Reason), long>();
            await app.SweepNowUntilAsync(swept, ("runs", "ttl"), Runs);
            Assert.Equal(Runs, swept[("session_logs", "cascade")]);
            foreach (var runId in runIds) Assert.Equal(HttpStatusCode.Gone, (await http.GetAsync($"/v1/runs/{runId}")).StatusCode);
            await app.SweepNowUntilAsync(swept, ("tombstones", "ttl"), Runs);
            snapshot = await app.SweeperCommandAsync("registry-snapshot");
            Assert.All(snapshot.GetProperty("registries").EnumerateArray(), r => Assert.Equal(0, r.GetProperty("entries").GetInt64()));
            var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("redis"))!);
            await using (redis)
            {
                // Every master: a cluster's three, or the one server.
                var masters = Masters(redis);
                Assert.Equal(topology == "cluster" ? 3 : 1, masters.Count);
                foreach (var master in masters)
                {
                    var keys = master.Keys(pattern: "*").Select(k => k.ToString()).ToList();
                    Assert.All(keys, k => Assert.Matches(SweeperKeys, k));
                }
            }
        }

        var left = await Eventually.EmptyAsync(() => processes.Where(Processes.IsRunning).ToList(), TimeSpan.FromSeconds(30));
        Assert.True(left.Count == 0, "still running: " + string.Join("; ", left.Select(p => $"{p} {Processes.CommandLine(p)}")));
    }

    /// <summary>The 16 shards' hash tags fall 6/5/5 in the slot ranges redis-cli gives 3 masters, and the runs just
    /// spawned sit on every master (the registry snapshot above read them all).</summary>
    private static async Task AssertShardsSpreadOverTheMastersAsync(DistributedApplication app)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("redis"))!);
        var masters = Masters(redis);
        var cluster = masters[0].ClusterConfiguration!;
        var shardsPerMaster = Enumerable.Range(0, 16).GroupBy(n => cluster.GetBySlot($"gw:{{{n:x2}}}:")!.EndPoint)
            .Select(g => g.Count()).OrderDescending().ToList();
        Assert.Equal([6, 5, 5], shardsPerMaster);
        Assert.Equal(3, cluster.Nodes.Count(n => n.IsReplica));
        foreach (var master in masters)
        {
            Assert.Contains(master.Keys(pattern: "gw:*").Select(k => k.ToString()), k => !SweeperKeys.IsMatch(k));
        }
    }

    /// <summary>The masters as the cluster's own configuration says (a client's view of a node's role can lag it),
    /// or the one server.</summary>
    private static List<IServer> Masters(ConnectionMultiplexer redis) =>
        redis.GetServers()[0].ClusterConfiguration is { } cluster
            ? cluster.Nodes.Where(n => !n.IsReplica).Select(n => redis.GetServer(n.EndPoint!)).ToList()
            : [.. redis.GetServers()];

    [Fact]
    public async Task The_sweeper_commands_need_the_admin_key_the_apphost_gives_it()
    {
        await using var app = await TestAppHost.StartAsync();
        using var sweeper = app.CreateHttpClient("gateway-sweeper", "http");

        Assert.Equal(HttpStatusCode.Unauthorized, (await sweeper.PostAsync("/admin/sweep", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sweeper.GetAsync("/admin/registry")).StatusCode);
        Assert.True((await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("gateway-sweeper", "registry-snapshot")).Success);
    }
}
