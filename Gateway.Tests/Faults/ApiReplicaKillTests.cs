using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Faults;

/// <summary>
/// Two API processes on one Redis; clients spawn runs with idempotency keys, and when a request fails because its
/// replica died (SIGKILL mid-request) they send the same request to the other replica. A spawn the dead replica
/// had already written is answered by its key (200, the same run): every key gets exactly one run, never two.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ApiReplicaKillTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private const int KeysPerSession = 40; // a session's run list answers at most 100 runs
    private static readonly int Clients = FaultScale.Pick(12, 32);
    private static readonly int Kills = FaultScale.Pick(2, 10);
    private static readonly int AcksBetweenKills = FaultScale.Pick(150, 1500);

    [Fact]
    public async Task A_replica_SIGKILLed_mid_request_leaves_one_run_per_idempotency_key()
    {
        var settings = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        await using var a = await ServiceProcess.StartAsync("Gateway.Api", redis, settings);
        await using var b = await ServiceProcess.StartAsync("Gateway.Api", redis, settings);
        var replicas = new[] { a, b };
        var clients = replicas.Select(r => r.Client(TimeSpan.FromSeconds(30))).ToArray();
        try
        {
            var answers = new ConcurrentDictionary<string, ConcurrentBag<string>>(); // key -> run ids answered 2xx
            long interrupted = 0, replayed = 0;
            var unexpected = new ConcurrentQueue<string>();
            var keys = new ConcurrentBag<(string Session, string Key)>();
            using var stop = new CancellationTokenSource();

            async Task Client(int c)
            {
                var replica = 0; // every client starts on replica A, so A's kill cuts requests in flight
                for (var j = 0; !stop.IsCancellationRequested; j++)
                {
                    var (session, key) = ($"idem-c{c}-{j / KeysPerSession}", $"key-{c}-{j}");
                    keys.Add((session, key));
                    for (var attempt = 0; ; attempt++)
                    {
                        try
                        {
                            using var response = await clients[replica].PostAsJsonAsync("/v1/runs",
                                new { requesterSessionKey = session, task = key, spawnMode = "session", idempotencyKey = key });
                            if (!response.IsSuccessStatusCode)
                            {
                                unexpected.Enqueue($"{key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                                return;
                            }
                            var run = await response.Content.ReadFromJsonAsync<JsonElement>();
                            answers.GetOrAdd(key, _ => []).Add(run.GetProperty("runId").GetString()!);
                            if (attempt > 0 && response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref replayed);
                            break;
                        }
                        catch (HttpRequestException)
                        {
                            // the replica died under this request (or is still dead): the same request to the other one
                            if (attempt == 0) Interlocked.Increment(ref interrupted);
                            if (attempt > 10) throw;
                            replica = 1 - replica;
                        }
                    }
                }
            }

            var load = Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(() => Client(c))));
            var victim = 0;
            for (var kill = 0; kill < Kills; kill++)
            {
                var mark = answers.Count;
                await Eventually.TrueAsync(() => load.IsCompleted || answers.Count >= mark + AcksBetweenKills,
                    $"{AcksBetweenKills} more keys answered", TimeSpan.FromSeconds(120));
                Assert.False(load.IsCompleted, $"the clients stopped: {string.Join("; ", unexpected)}");
                await replicas[victim].KillAsync();
                var after = answers.Count;
                await Eventually.TrueAsync(() => answers.Count >= after + AcksBetweenKills / 2, "the clients carry on through the live replica",
                    TimeSpan.FromSeconds(120));
                await replicas[victim].StartAsync();
                output.WriteLine($"kill {kill + 1}/{Kills}: replica {victim} SIGKILLed and started again; {answers.Count} keys answered, {interrupted} requests cut so far");
                victim = 1 - victim;
            }
            await stop.CancelAsync();
            await load;

            Assert.Empty(unexpected);
            Assert.True(interrupted > 0, "the SIGKILLs cut requests in flight");
            var twoRuns = answers.Where(k => k.Value.Distinct().Count() != 1).Select(k => k.Key).ToList();
            Assert.Empty(twoRuns);

            // Counted in Redis, through the API: each key's task appears on exactly one run of its session.
            var runsByKey = new Dictionary<string, int>();
            foreach (var session in keys.Select(k => k.Session).Distinct())
            {
                var runs = await clients[0].GetFromJsonAsync<JsonElement[]>($"/v1/sessions/{session}/runs");
                foreach (var run in runs!) runsByKey[run.GetProperty("task").GetString()!] = runsByKey.GetValueOrDefault(run.GetProperty("task").GetString()!) + 1;
            }
            Assert.Equal(keys.Count, runsByKey.Count);
            Assert.All(keys, k => Assert.Equal(1, runsByKey.GetValueOrDefault(k.Key)));
            output.WriteLine($"{Clients} clients, {keys.Count} keys spawned, {Kills} API SIGKILLs: {interrupted} requests cut mid-flight, " +
                $"{replayed} of them had been written by the dead replica (answered 200 by the key on the other), keys with two runs: {twoRuns.Count}, " +
                $"runs in Redis: {runsByKey.Values.Sum()}");
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }
}
