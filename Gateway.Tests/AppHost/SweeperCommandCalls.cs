using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.AppHost;

/// <summary>What the end-to-end tests do through the running AppHost: events through the API, the sweeper's commands.</summary>
public static class SweeperCommandCalls
{
    public static async Task PostEventAsync(this HttpClient http, string runId, object body)
    {
        var response = await http.PostAsJsonAsync($"/v1/runs/{runId}/events", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    public static async Task<JsonElement> SweeperCommandAsync(this DistributedApplication app, string command)
    {
        var result = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("gateway-sweeper", command);
        Assert.True(result.Success, $"{command}: {result.Message}");
        Assert.NotNull(result.Data);
        return JsonDocument.Parse(result.Data.Value).RootElement.Clone();
    }

    public static long Entries(JsonElement snapshot, string registry) => snapshot.GetProperty("registries").EnumerateArray()
        .Single(r => r.GetProperty("name").GetString() == registry).GetProperty("entries").GetInt64();

    /// <summary>Runs the "Sweep now" command until it has evicted <paramref name="count"/> entries of a registry for a
    /// reason, adding what every pass evicted to <paramref name="swept"/>.</summary>
    public static Task SweepNowUntilAsync(this DistributedApplication app, Dictionary<(string Registry, string Reason), long> swept,
        (string Registry, string Reason) what, long count) =>
        Eventually.TrueAsync(async () =>
        {
            foreach (var e in (await app.SweeperCommandAsync("sweep-now")).GetProperty("evictions").EnumerateArray())
            {
                var key = (e.GetProperty("registry").GetString()!, e.GetProperty("reason").GetString()!);
                swept[key] = swept.GetValueOrDefault(key) + e.GetProperty("count").GetInt64();
            }
            return swept.GetValueOrDefault(what) >= count;
        }, $"sweep-now evicts {count} {what.Registry} ({what.Reason})", poll: TimeSpan.FromMilliseconds(250));
}
