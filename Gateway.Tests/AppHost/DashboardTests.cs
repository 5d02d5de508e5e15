using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gateway.Tests.AppHost;

/// <summary>
/// The AppHost as a developer starts it: a real process with DCP and the Aspire dashboard. Headless Chromium
/// (Debian's, through Playwright) logs in with the printed link and finds the sweeper's registry gauge with a
/// non-zero value after a workload; SIGTERM (Ctrl+C) then stops every process of the run.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const int LiveRuns = 7;

    private static readonly Regex RowTime = new(@"^\d{1,2}:\d{2}:\d{2}\s*[AP]M$");
    private static readonly Regex NonZeroEntries = new(@"\d{1,2}:\d{2}:\d{2}\s*[AP]M\s+[1-9]\d*\s");

    [Fact]
    public async Task The_dashboard_shows_the_sweepers_registry_entries_and_sigterm_leaves_no_process()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: `sudo apt-get install -y chromium` (.ci/run installs it).");
        await using var apphost = AppHostProcess.Start(new Dictionary<string, string?>(), TestAppHost.ShortRetention);
        var login = await apphost.WaitForLineAsync(l => l.Contains("Login to the dashboard at "), TestAppHost.StartTimeout, "the dashboard's login link");
        var loginUrl = new Uri(login[login.IndexOf("http", StringComparison.Ordinal)..].Trim());
        await apphost.WaitForLineAsync(l => l.Contains("Distributed application started"), TestAppHost.StartTimeout, "started");

        using var api = await ApiClientAsync(apphost);
        for (var i = 0; i < LiveRuns; i++)
        {
            var spawned = await api.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = $"dash-{i}", task = "dashboard" });
            Assert.Equal(HttpStatusCode.Created, spawned.StatusCode);
        }

        await using (var browser = await LaunchAsync())
        {
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });
            await page.GotoAsync(loginUrl.ToString());
            var metrics = new Uri(loginUrl, "/metrics/resource/gateway-sweeper?meter=Gateway&instrument=gateway.registry.entries&duration=5&view=Table");
            try
            {
                // The table view lists each exported value ("6:32:43 AM  21": entries summed over the registries);
                // a page opened before the first export shows none, so it is opened again until one is there.
                await Eventually.TrueAsync(async () =>
                {
                    await page.GotoAsync(metrics.ToString());
                    try
                    {
                        // a row of the table: its time, then the value
                        await page.GetByText(RowTime).First.WaitForAsync(new() { Timeout = 10_000 });
                    }
                    catch (TimeoutException)
                    {
                        return false; // no value exported yet (or the page failed to load): open it again
                    }
                    return NonZeroEntries.IsMatch(await page.InnerTextAsync("body"));
                }, "the dashboard's table of gateway.registry.entries for gateway-sweeper shows a non-zero value",
                    TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(1));
                Assert.Contains("Entries per registry", await page.InnerTextAsync("body"));
            }
            finally
            {
                // What the browser saw, pass or fail.
                await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "gateway-dashboard-metrics.png"), FullPage = true });
                await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "gateway-dashboard-metrics.txt"), await page.InnerTextAsync("body"));
            }
        }

        var processes = apphost.AllProcesses();
        // SIGTERM, which the AppHost handles as Ctrl+C (a SIGINT sent from here may be ignored: a child of a
        // non-interactive shell's background job inherits SIGINT ignored).
        apphost.Signal(15);
        Assert.Equal(0, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var left = await Eventually.EmptyAsync(() => processes.Where(Processes.IsRunning).ToList(), TimeSpan.FromSeconds(30));
        Assert.True(left.Count == 0, "still running: " + string.Join("; ", left.Select(p => $"{p} {Processes.CommandLine(p)}")));
    }

    [Fact]
    public async Task Without_redis_server_the_apphost_says_how_to_install_it_in_one_line()
    {
        var dotnetOnly = Path.GetDirectoryName(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "/usr/share/dotnet/dotnet")!;
        await using var apphost = AppHostProcess.Start(new Dictionary<string, string?> { ["PATH"] = dotnetOnly });

        Assert.Equal(1, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var errors = apphost.Output.Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(errors);
        Assert.Contains("sudo apt-get install -y redis-server", line);
        Assert.DoesNotContain(apphost.Output, l => l.Contains("   at ", StringComparison.Ordinal));
    }

    private static async Task<HttpClient> ApiClientAsync(AppHostProcess apphost)
    {
        // The API process's own URL (behind the orchestrator's proxy), from the environment DCP gave it.
        int? pid = null;
        await Eventually.TrueAsync(() => (pid = TryServicePid(apphost)) is not null, "gateway-api is started", TimeSpan.FromSeconds(60));
        var url = Processes.EnvironmentOf(pid!.Value)["ASPNETCORE_URLS"].Split(';')[0];
        var http = new HttpClient { BaseAddress = new Uri(url.Replace("localhost", "127.0.0.1")) };
        await Eventually.TrueAsync(async () =>
        {
            try { return (await http.GetAsync("/health")).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        }, "gateway-api is healthy", TimeSpan.FromSeconds(60));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestAppHost.ApiKey);
        return http;
    }

    private static int? TryServicePid(AppHostProcess apphost)
    {
        try { return apphost.ServicePid("Gateway.Api"); }
        catch (InvalidOperationException) { return null; }
    }

    private static async Task<BrowserHandle> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Root on a closed network: no sandbox, no background calls home.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        return new BrowserHandle(playwright, browser);
    }

    private sealed record BrowserHandle(IPlaywright Playwright, IBrowser Browser) : IAsyncDisposable
    {
        public Task<IPage> NewPageAsync(BrowserNewPageOptions options) => Browser.NewPageAsync(options);

        public async ValueTask DisposeAsync()
        {
            await Browser.DisposeAsync();
            Playwright.Dispose();
        }
    }
}
