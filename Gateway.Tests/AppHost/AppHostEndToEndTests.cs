using Gateway.Tests.Infrastructure;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Hosting;

namespace Gateway.Tests.AppHost;

/// <summary>
/// `dotnet Gateway.AppHost.dll --ephemeral --no-ui` as a real process, with retention of seconds passed through
/// its environment to the services: runs spawned and finished over HTTP are swept, the registry sizes move in
/// the API and in the AppHost's own output, and SIGTERM stops every process it started.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class AppHostEndToEndTests
{
    private const int Runs = 5;

    private static readonly Dictionary<string, string> ShortRetention = new()
    {
        ["Registry__RunArchiveAfterEnd"] = "00:00:02",
        ["Registry__SessionRunArchiveAfterCleanup"] = "00:00:02",
        ["Registry__TombstoneRetention"] = "00:00:02",
        ["Registry__DedupeRetention"] = "00:00:02",
        // A session's event stream lives until its runs' idle lease ends: short, so every registry drains.
        ["Registry__ContextIdleTimeout"] = "00:00:08",
        ["Sweeper__Interval"] = "00:00:00.200",
        ["Sweeper__LeaseDuration"] = "00:00:01",
    };

    private static readonly string[] AspireNames =
    [
        "ConnectionStrings__redis", "services__gateway-api__http__0", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "ASPNETCORE_URLS",
    ];

    [Fact]
    public async Task AppHost_runs_the_gateway_sweeps_finished_runs_and_leaves_no_process_after_SIGTERM()
    {
        await using var apphost = AppHostProcess.Start(ShortRetention, "--ephemeral", "--no-ui");
        var state = await apphost.WaitUntilRunningAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(["redis", "gateway-api-0", "gateway-sweeper"], state.Resources.Select(r => r.Name));
        Assert.All(state.Resources, r => Assert.Equal(ResourceState.Running, r.State));
        var pids = state.Resources.Select(r => r.Pid!.Value).ToList();
        Assert.All(pids, pid => Assert.True(AppHostProcess.IsRunning(pid), $"pid {pid} is not running"));
        var api = state.Resources.Single(r => r.Name == "gateway-api-0");
        var apiEnvironment = AppHostProcess.EnvironmentOf(api.Pid!.Value);
        Assert.All(AspireNames, name => Assert.True(apiEnvironment.ContainsKey(name), $"gateway-api-0 has no {name}"));
        Assert.Equal("gateway-api", apiEnvironment["OTEL_SERVICE_NAME"]);
        Assert.Contains("password=", apiEnvironment["ConnectionStrings__redis"]);
        Assert.Equal("00:00:02", apiEnvironment["Registry__RunArchiveAfterEnd"]);
        Assert.Equal("gateway-sweeper", AppHostProcess.EnvironmentOf(state.Resources[2].Pid!.Value)["OTEL_SERVICE_NAME"]);

        using var http = new HttpClient { BaseAddress = new Uri(state.ApiUrls[0]) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", state.ApiKey);
        var runIds = new List<string>();
        for (var i = 0; i < Runs; i++)
        {
            var spawned = await http.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = $"session-{i}", task = "e2e" });
            Assert.Equal(HttpStatusCode.Created, spawned.StatusCode);
            var runId = (await spawned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
            await PostEventAsync(http, runId, new { seq = 1, stream = "lifecycle", phase = "start" });
            runIds.Add(runId);
        }
        Assert.Equal(Runs, await EntriesAsync(http, "runs"));
        // Live runs stay: the AppHost's own view of the registries shows them too.
        await apphost.WaitForLineAsync(l => l.Contains($"registry runs={Runs} "), TimeSpan.FromSeconds(10), $"runs={Runs}");

        foreach (var runId in runIds) await PostEventAsync(http, runId, new { seq = 2, stream = "lifecycle", phase = "end" });
        foreach (var runId in runIds)
        {
            await EventuallyAsync(async () => (await http.GetAsync($"/v1/runs/{runId}")).StatusCode == HttpStatusCode.Gone,
                TimeSpan.FromSeconds(20), $"run {runId} answers 410 Gone once swept", apphost);
        }
        var registry = await http.GetFromJsonAsync<JsonElement>("/v1/registry");
        var runsRegistry = registry.GetProperty("registries").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "runs");
        Assert.True(runsRegistry.GetProperty("evictions").GetProperty("ttl").GetInt64() > 0, registry.ToString());
        await EventuallyAsync(async () => (await TotalEntriesAsync(http)) == 0, TimeSpan.FromSeconds(30),
            "every registry back to 0 entries", apphost);
        await apphost.WaitForLineAsync(l => l.Contains("registry runs=0 run_contexts=0 pending_errors=0 aborted_runs=0 tool_recipients=0 dedupe_keys=0 event_streams=0 tombstones=0"),
            TimeSpan.FromSeconds(10), "every registry at 0");

        apphost.Terminate();
        Assert.Equal(0, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await EventuallyAsync(() => Task.FromResult(pids.All(pid => !AppHostProcess.IsRunning(pid))), TimeSpan.FromSeconds(5),
            $"no process of {string.Join(", ", pids)} left running", apphost);
        var stopped = apphost.ReadState()!;
        Assert.Equal("stopped", stopped.Phase);
        Assert.All(stopped.Resources, r => Assert.Equal(ResourceState.Stopped, r.State));
    }

    private static async Task PostEventAsync(HttpClient http, string runId, object body)
    {
        var response = await http.PostAsJsonAsync($"/v1/runs/{runId}/events", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    private static async Task<long> EntriesAsync(HttpClient http, string name) =>
        (await http.GetFromJsonAsync<JsonElement>("/v1/registry")).GetProperty("registries").EnumerateArray()
            .Single(r => r.GetProperty("name").GetString() == name).GetProperty("entries").GetInt64();

    private static async Task<long> TotalEntriesAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/v1/registry")).GetProperty("registries").EnumerateArray()
            .Sum(r => r.GetProperty("entries").GetInt64());

    private static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, AppHostProcess apphost)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > timeout) Assert.Fail($"Not within {timeout.TotalSeconds} s: {what}\n{apphost.Dump()}");
            await Task.Delay(100);
        }
    }
}
