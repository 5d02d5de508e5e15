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
    private const int Runs = 5;

    // What a drained gateway keeps while its sweeper lives: the shard leases and the sweepers' heartbeats.
    private static readonly Regex SweeperKeys = new(@"^gw:(sweepers|\{[0-9a-f]{2}\}:lease)$");

    [Fact]
    public async Task Runs_spawned_through_the_api_are_swept_to_zero_keys_and_no_process_outlives_the_app()
    {
        // A sweeper that passes once a minute: what is swept here is swept by the "Sweep now" command.
        var app = await TestAppHost.StartAsync("--Sweeper:Interval=00:01:00", "--Sweeper:LeaseDuration=00:03:00");
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
            var redisState = await app.ResourceNotifications.WaitForResourceHealthyAsync("redis");
            var redisArgs = redisState.Snapshot.Properties.Single(p => p.Name == "executable.args").Value;
            var password = ConfigurationOptions.Parse((await app.GetConnectionStringAsync("redis"))!).Password!;
            Assert.DoesNotContain(password, JsonSerializer.Serialize(redisArgs));
            Assert.DoesNotContain(password, Processes.CommandLine(await app.PidOfAsync("redis")));

            using var http = app.CreateApiClient();
            var runIds = new List<string>();
            for (var i = 0; i < Runs; i++)
            {
                var spawned = await http.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = $"session-{i}", task = "e2e" });
                Assert.Equal(HttpStatusCode.Created, spawned.StatusCode);
                var runId = (await spawned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
                await PostEventAsync(http, runId, new { seq = 1, stream = "lifecycle", phase = "start" });
                await PostEventAsync(http, runId, new { seq = 2, stream = "lifecycle", phase = "end" });
                runIds.Add(runId);
            }
            var snapshot = await CommandAsync(app, "registry-snapshot");
            Assert.Equal(Runs, Entries(snapshot, "runs"));

            // Once the archive (2 s) has passed, a sweep removes the runs, with their session logs (cascade), and
            // leaves tombstones; once their retention (2 s) has passed too, nothing is left but the sweeper's leases.
            var swept = new Dictionary<(string Registry, string Reason), long>();
            await SweepNowUntilAsync(app, swept, ("runs", "ttl"), Runs);
            Assert.Equal(Runs, swept[("session_logs", "cascade")]);
            foreach (var runId in runIds) Assert.Equal(HttpStatusCode.Gone, (await http.GetAsync($"/v1/runs/{runId}")).StatusCode);
            await SweepNowUntilAsync(app, swept, ("tombstones", "ttl"), Runs);
            snapshot = await CommandAsync(app, "registry-snapshot");
            Assert.All(snapshot.GetProperty("registries").EnumerateArray(), r => Assert.Equal(0, r.GetProperty("entries").GetInt64()));
            var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("redis"))!);
            await using (redis)
            {
                var keys = redis.GetServers().Single().Keys(pattern: "*").Select(k => k.ToString()).ToList();
                Assert.All(keys, k => Assert.Matches(SweeperKeys, k));
            }
        }

        var left = await Eventually.EmptyAsync(() => processes.Where(Processes.IsRunning).ToList(), TimeSpan.FromSeconds(30));
        Assert.True(left.Count == 0, "still running: " + string.Join("; ", left.Select(p => $"{p} {Processes.CommandLine(p)}")));
    }

    [Fact]
    public async Task The_sweeper_commands_need_the_admin_key_the_apphost_gives_it()
    {
        await using var app = await TestAppHost.StartAsync();
        using var sweeper = app.CreateHttpClient("gateway-sweeper", "http");

        Assert.Equal(HttpStatusCode.Unauthorized, (await sweeper.PostAsync("/admin/sweep", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sweeper.GetAsync("/admin/registry")).StatusCode);
        Assert.True((await ResourceCommands(app).ExecuteCommandAsync("gateway-sweeper", "registry-snapshot")).Success);
    }

    private static async Task PostEventAsync(HttpClient http, string runId, object body)
    {
        var response = await http.PostAsJsonAsync($"/v1/runs/{runId}/events", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    private static ResourceCommandService ResourceCommands(DistributedApplication app) =>
        app.Services.GetRequiredService<ResourceCommandService>();

    private static async Task<JsonElement> CommandAsync(DistributedApplication app, string command)
    {
        var result = await ResourceCommands(app).ExecuteCommandAsync("gateway-sweeper", command);
        Assert.True(result.Success, $"{command}: {result.Message}");
        Assert.NotNull(result.Data);
        return JsonDocument.Parse(result.Data.Value).RootElement.Clone();
    }

    private static long Entries(JsonElement snapshot, string registry) => snapshot.GetProperty("registries").EnumerateArray()
        .Single(r => r.GetProperty("name").GetString() == registry).GetProperty("entries").GetInt64();

    /// <summary>Runs the "Sweep now" command until it has evicted <paramref name="count"/> entries of a registry for a
    /// reason, adding what every pass evicted to <paramref name="swept"/>.</summary>
    private static Task SweepNowUntilAsync(DistributedApplication app, Dictionary<(string Registry, string Reason), long> swept,
        (string Registry, string Reason) what, long count) =>
        Eventually.TrueAsync(async () =>
        {
            foreach (var e in (await CommandAsync(app, "sweep-now")).GetProperty("evictions").EnumerateArray())
            {
                var key = (e.GetProperty("registry").GetString()!, e.GetProperty("reason").GetString()!);
                swept[key] = swept.GetValueOrDefault(key) + e.GetProperty("count").GetInt64();
            }
            return swept.GetValueOrDefault(what) >= count;
        }, $"sweep-now evicts {count} {what.Registry} ({what.Reason})", poll: TimeSpan.FromMilliseconds(250));
}
