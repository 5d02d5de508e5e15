using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Faults;

/// <summary>
/// redis-server SIGKILLed under the seed workload driven through a real API process, and restarted from its
/// append-only file: every acknowledged spawn and event is counted back afterwards. With appendfsync always
/// nothing acknowledged may be lost; with everysec at most what was acknowledged in the last second before the
/// kill. In between the API answers 503 with Retry-After, and 2xx again by itself once Redis is back.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class RedisKillTests(ITestOutputHelper output)
{
    private static readonly int Clients = FaultScale.Pick(8, 32);
    private static readonly int Kills = FaultScale.Pick(1, 5);
    private static readonly TimeSpan LoadBetweenKills = FaultScale.Pick(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20));

    [Theory]
    [InlineData("always")]
    [InlineData("everysec")]
    public async Task Redis_SIGKILLed_and_restarted_from_its_AOF_loses_no_acknowledged_write_beyond_its_fsync_policy(string appendfsync)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("gateway-faults-aof-");
        var redis = new RedisServer
        {
            DataDirectory = dataDirectory.FullName,
            ServerArguments = ["--appendonly", "yes", "--appendfsync", appendfsync],
        };
        try
        {
            await redis.InitializeAsync();
            await using var api = await ServiceProcess.StartAsync("Gateway.Api", redis, new Dictionary<string, string>
            {
                ["Gateway__RetryAfterSeconds"] = "1",
                ["Logging__LogLevel__Default"] = "Warning",
            });
            using var http = api.Client();
            var seed = new SeedClients(http, $"aof-{appendfsync}", requesterSessions: 64);
            using var stop = new CancellationTokenSource();
            var load = seed.RunAsync(Clients, stop.Token);

            var killedAt = new List<TimeSpan>();
            var recoveries = new List<TimeSpan>();
            for (var kill = 0; kill < Kills; kill++)
            {
                await AwaitLoadAsync(seed, LoadBetweenKills, load);
                await redis.KillAsync();
                killedAt.Add(seed.Now); // once it is dead: every acknowledgement it gave came before this
                await redis.StartAsync();
                var restarted = seed.Now;
                Ack? firstAck;
                try
                {
                    firstAck = await Eventually.ValueAsync(() => Task.FromResult(LoadAlive(seed, load).Acks.FirstOrDefault(a => a.At > restarted)), a => a is not null,
                        "the API acknowledges a write again, by itself, after Redis restarted from its AOF", TimeSpan.FromSeconds(60));
                }
                catch
                {
                    // each error the API logged (its first lines: the exception and its message), then its last lines
                    var lines = api.Output;
                    foreach (var i in Enumerable.Range(0, lines.Count).Where(i => lines[i].StartsWith("fail:", StringComparison.Ordinal)).Take(10))
                    {
                        output.WriteLine(string.Join('\n', lines.Skip(i).Take(4)));
                    }
                    output.WriteLine($"gateway-api's last lines:\n{api.Dump()}");
                    throw;
                }
                recoveries.Add(firstAck!.At - restarted);
                output.WriteLine($"kill {kill + 1}/{Kills}: redis-server SIGKILLed at {killedAt[^1].TotalSeconds:F1} s, 2xx again {recoveries[^1].TotalSeconds:F1} s after its restart");
            }
            await AwaitLoadAsync(seed, LoadBetweenKills, load);
            await stop.CancelAsync();
            await load;

            Assert.Empty(seed.Unexpected);
            Assert.True(seed.Unavailable > 0, "the clients met Redis' outage (503 with Retry-After)");
            var lost = await LostAsync(http, seed.Acks);
            var acked = seed.Acks;
            output.WriteLine($"appendfsync {appendfsync}: {seed.SessionsStarted} sessions, {Clients} clients, {acked.Count} acknowledged " +
                $"({acked.Count(a => a.Kind == "spawn")} spawns, {acked.Count(a => a.Kind != "spawn")} events), {Kills} SIGKILLs; " +
                $"503 with Retry-After: {seed.Unavailable}; replayed: {seed.Replayed}; 2xx again {string.Join(", ", recoveries.Select(r => $"{r.TotalSeconds:F1} s"))} " +
                $"after each restart; acknowledged and lost: {lost.Count}");
            foreach (var l in lost.Take(20)) output.WriteLine($"lost: {l}");

            if (appendfsync == "always")
            {
                Assert.Empty(lost);
            }
            else
            {
                // everysec: the AOF is fsynced once a second, so what a kill may take is the last second's acknowledgements
                Assert.All(lost, l => Assert.Contains(killedAt, k => l.At <= k && l.At > k - TimeSpan.FromSeconds(1)));
            }
        }
        finally
        {
            await redis.DisposeAsync();
            dataDirectory.Delete(recursive: true);
        }
    }

    /// <summary>Lets the load run for <paramref name="duration"/> of acknowledged traffic (not a sleep: it waits
    /// for acks past the mark, and fails if the load stopped).</summary>
    private static async Task AwaitLoadAsync(SeedClients seed, TimeSpan duration, Task load)
    {
        var until = seed.Now + duration;
        await Eventually.TrueAsync(() => LoadAlive(seed, load).Acks.Count > 0 && seed.Acks[^1].At > until,
            $"{duration.TotalSeconds} s of acknowledged load", duration + TimeSpan.FromSeconds(60));
    }

    /// <summary>The clients, or a failure naming why their load stopped (a worker ends at its first unexpected answer).</summary>
    private static SeedClients LoadAlive(SeedClients seed, Task load)
    {
        if (seed.Unexpected.Count > 0 || load.IsFaulted) Assert.Fail($"the load failed: {string.Join("; ", seed.Unexpected)}");
        return seed;
    }

    /// <summary>The acknowledged operations the registry no longer shows: a spawn whose run is unknown, an event
    /// beyond its run's last seq, an abort of a run not aborted.</summary>
    private static async Task<List<Ack>> LostAsync(HttpClient http, IReadOnlyList<Ack> acks)
    {
        var lost = new List<Ack>();
        foreach (var run in acks.GroupBy(a => a.RunId))
        {
            using var response = await http.GetAsync($"/v1/runs/{run.Key}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                lost.AddRange(run);
                continue;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stored = await response.Content.ReadFromJsonAsync<JsonElement>();
            var lastSeq = stored.GetProperty("lastSeq").GetInt64();
            var status = stored.GetProperty("status").GetString();
            lost.AddRange(run.Where(a => a.Seq > lastSeq || (a.Kind == "abort" && !string.Equals(status, "aborted", StringComparison.OrdinalIgnoreCase))));
        }
        return lost;
    }
}
