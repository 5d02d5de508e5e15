using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Gateway.Tests.Faults;

/// <summary>
/// Two sweeper processes under the seed workload (driven through a real API process) with retention short enough
/// that entries fall due all the time; one or the other is SIGKILLed in mid-pass 20 times and started again, so two
/// are alive in between. Every due entry must be evicted exactly once: each run's completion is in its session's
/// log exactly once, the eviction counters the registry keeps (written by the same scripts that remove) equal what
/// the workload made and the sweep removed, and no key is left after the drain.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed partial class SweeperKillTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private static readonly int Kills = FaultScale.Pick(20, 100);
    private static readonly int Clients = FaultScale.Pick(2, 6);
    private static readonly int RequesterSessions = FaultScale.Pick(24, 96);
    private const int NeverEndTimeoutSeconds = 2;

    // Every entry falls due within seconds; the keeper runs (one live run per requester session, with the long
    // idle timeout) keep each session's log, so its completions can be counted once the rest is gone.
    private static readonly RegistryOptions Retention = new()
    {
        ContextIdleTimeout = TimeSpan.FromMinutes(10),
        PendingErrorGrace = TimeSpan.FromSeconds(1),
        PendingErrorMax = TimeSpan.FromSeconds(5),
        RunArchiveAfterEnd = TimeSpan.FromSeconds(3),
        SessionRunArchiveAfterCleanup = TimeSpan.FromSeconds(3),
        DedupeRetention = TimeSpan.FromSeconds(2),
        AbortedRetention = TimeSpan.FromSeconds(2),
        RecipientsIdle = TimeSpan.FromSeconds(2),
        RecipientsAfterFinal = TimeSpan.FromSeconds(1),
        TombstoneRetention = TimeSpan.FromSeconds(4),
        // small batches: a pass is many scripts, so a kill lands between two of them
        SweepBatchSize = 10,
        // a session's log keeps every completion of the test (at the default 1,000 entries the oldest would go)
        SessionLogMaxLength = 1_000_000,
    };

    [GeneratedRegex(@"Sweep pass: (?<evicted>\d+) evicted \[(?<evictions>[^\]]*)\]")]
    private static partial Regex PassLine();

    [Fact]
    public async Task Sweepers_SIGKILLed_in_mid_pass_evict_every_due_entry_exactly_once()
    {
        var settings = Settings();
        await using var api = await ServiceProcess.StartAsync("Gateway.Api", redis, settings);
        await using var a = await ServiceProcess.StartAsync("Gateway.Sweeper", redis, settings);
        await using var b = await ServiceProcess.StartAsync("Gateway.Sweeper", redis, settings);
        var sweepers = new[] { a, b };
        using var http = api.Client();
        await using var h = await RegistryHarness.CreateAsync(redis, Retention, flush: false);
        h.Clock.SetUtcNow(TimeProvider.System.GetUtcNow());
        var seed = new SeedClients(http, "sweep", RequesterSessions, NeverEndTimeoutSeconds);
        var keepers = await SpawnKeepersAsync(http, seed);
        using var stop = new CancellationTokenSource();
        var load = seed.RunAsync(Clients, stop.Token);

        // Kill: once the victim has evicted since the last kill (it holds leases and sweeps), SIGKILL it and
        // start it again at once. Entries keep falling due under the load, so a pass is always under way.
        var sinceLastKill = sweepers.Select(s => s.Output.Count).ToArray();
        var killing = System.Diagnostics.Stopwatch.StartNew();
        for (var kill = 0; kill < Kills; kill++)
        {
            var (victim, mark) = (sweepers[kill % 2], sinceLastKill[kill % 2]);
            await Eventually.TrueAsync(() =>
            {
                if (load.IsFaulted) Assert.Fail($"the load failed: {string.Join("; ", seed.Unexpected)}");
                return victim.Output.Skip(mark).Any(l => PassLine().Match(l) is { Success: true } m && m.Groups["evicted"].Value != "0");
            }, $"sweeper {kill % 2} evicts (kill {kill + 1})", TimeSpan.FromSeconds(60));
            await victim.KillAsync();
            sinceLastKill = sweepers.Select(s => s.Output.Count).ToArray();
            await victim.StartAsync();
            output.WriteLine($"kill {kill + 1}/{Kills}: sweeper {kill % 2} SIGKILLed and started again at {killing.Elapsed.TotalSeconds:F1} s, {seed.SessionsStarted} sessions so far");
        }
        killing.Stop();
        await stop.CancelAsync();
        await load;
        Assert.Empty(seed.Unexpected);

        // Everything but the keepers falls due and goes: the registries then hold the keepers alone.
        var snapshot = await Eventually.ValueAsync(() => h.Registry.SnapshotAsync(), s => s.Registries.All(r => r.Entries == KeepersOnly(r.Name)),
            "every due entry evicted; the keepers alone are left", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        var runs = seed.Acks.Where(x => x.Kind == "spawn").Select(x => x.RunId).ToList();
        var started = seed.SessionsStarted;
        long Sessions(SeedClients.Ending ending) => Enumerable.Range(0, (int)started).LongCount(i => SeedClients.EndingOf(i) == ending);
        long Evicted(string registry, params string[] reasons) =>
            snapshot.Registries.Single(r => r.Name == registry).Evictions.Where(e => reasons.Contains(e.Key)).Sum(e => e.Value);
        Assert.Equal(started, runs.Count);
        var expected = new Dictionary<string, long>
        {
            ["runs ttl"] = runs.Count,
            ["runs cap/cascade/finalized"] = 0,
            ["run_contexts finalized (error + never ended)"] = Sessions(SeedClients.Ending.Error) + Sessions(SeedClients.Ending.Never),
            ["pending_errors finalized"] = Sessions(SeedClients.Ending.Error),
            ["aborted_runs ttl + cascade"] = Sessions(SeedClients.Ending.Aborted),
            ["tool_recipients ttl + cascade"] = (started + 4) / 5,
            ["dedupe_keys ttl + cascade"] = runs.Count,
            ["tombstones ttl"] = runs.Count,
            ["session_logs (kept by the keepers)"] = 0,
        };
        var counted = new Dictionary<string, long>
        {
            ["runs ttl"] = Evicted(Registries.Runs, "ttl"),
            ["runs cap/cascade/finalized"] = Evicted(Registries.Runs, "cap", "cascade", "finalized"),
            ["run_contexts finalized (error + never ended)"] = Evicted(Registries.RunContexts, "finalized"),
            ["pending_errors finalized"] = Evicted(Registries.PendingErrors, "finalized"),
            ["aborted_runs ttl + cascade"] = Evicted(Registries.AbortedRuns, "ttl", "cascade"),
            ["tool_recipients ttl + cascade"] = Evicted(Registries.ToolRecipients, "ttl", "cascade"),
            ["dedupe_keys ttl + cascade"] = Evicted(Registries.DedupeKeys, "ttl", "cascade"),
            ["tombstones ttl"] = Evicted(Registries.Tombstones, "ttl"),
            ["session_logs (kept by the keepers)"] = Evicted(Registries.SessionLogs, "ttl", "cap", "cascade"),
        };
        Assert.Equal(expected, counted);

        // Exactly once: each run's completion is in its session's log once, however many passes were cut short.
        var completions = new Dictionary<string, int>();
        foreach (var session in Enumerable.Range(0, RequesterSessions).Select(s => seed.RequesterOf(s)))
        {
            foreach (var e in await ReadLogAsync(h.Registry, session))
            {
                if (e.Type == "completion") completions[e.RunId] = completions.GetValueOrDefault(e.RunId) + 1;
            }
        }
        Assert.Equal(runs.Order(), completions.Keys.Order());
        Assert.All(completions, c => Assert.Equal(1, c.Value));

        // A pass cut by SIGKILL after some of its scripts ran never prints its line: the registry counts more than
        // the lines say (the workload sends nothing to a run past its deadline, so the API's lazy expiry finalizes none).
        var logged = sweepers.Sum(s => s.Output.Sum(l => PassLine().Match(l) is { Success: true } m ? long.Parse(m.Groups["evicted"].Value) : 0));
        var total = snapshot.Registries.Sum(r => r.Evictions.Values.Sum());
        Assert.True(logged < total, $"at least one SIGKILL cut a pass after some of its scripts had run (logged {logged}, counted {total})");
        output.WriteLine($"{started} seed sessions ({Clients} clients; {seed.TimedOutUnderLoad} events refused because their never-ending run had timed out first) + {keepers.Count} keepers; {Kills} sweeper SIGKILLs in mid-pass over " +
            $"{killing.Elapsed.TotalSeconds:F0} s, two sweepers alive in between; evictions counted by the registry: {total}, logged by the sweepers' " +
            $"pass lines: {logged} (the rest by passes a SIGKILL cut short); completions: " +
            $"{completions.Count} runs, each once");

        // The drain: the keepers end, everything goes, and no key is left (the sweepers' leases expire once they stop).
        foreach (var (keeper, _) in keepers)
        {
            using var end = await http.PostAsJsonAsync($"/v1/runs/{keeper}/events", new { seq = 2, stream = "lifecycle", phase = "end" });
            Assert.True(end.IsSuccessStatusCode, $"the keeper's end answered {(int)end.StatusCode}");
        }
        var left = await Eventually.ValueAsync(() => RegistryKeysAsync(redis), k => k.Count == 0, "no registry key left after the drain",
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        foreach (var s in sweepers) await s.KillAsync();
        await Eventually.TrueAsync(async () => await redis.KeyCountAsync() == 0, "no key at all once the sweepers' leases expired");
        output.WriteLine($"after the drain: {left.Count} registry keys, 0 keys in Redis");
    }

    private static long KeepersOnly(string registry) => registry switch
    {
        Registries.Runs or Registries.RunContexts or Registries.SessionLogs => RequesterSessions,
        _ => 0,
    };

    private static Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>
        {
            ["Sweeper__Interval"] = "00:00:00.1",
            ["Sweeper__LeaseDuration"] = "00:00:01",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Gateway"] = "Information",
        };
        foreach (var (key, value) in new Dictionary<string, TimeSpan>
        {
            ["ContextIdleTimeout"] = Retention.ContextIdleTimeout,
            ["PendingErrorGrace"] = Retention.PendingErrorGrace,
            ["PendingErrorMax"] = Retention.PendingErrorMax,
            ["RunArchiveAfterEnd"] = Retention.RunArchiveAfterEnd,
            ["SessionRunArchiveAfterCleanup"] = Retention.SessionRunArchiveAfterCleanup,
            ["DedupeRetention"] = Retention.DedupeRetention,
            ["AbortedRetention"] = Retention.AbortedRetention,
            ["RecipientsIdle"] = Retention.RecipientsIdle,
            ["RecipientsAfterFinal"] = Retention.RecipientsAfterFinal,
            ["TombstoneRetention"] = Retention.TombstoneRetention,
        })
        {
            settings[$"Registry__{key}"] = value.ToString();
        }
        settings["Registry__SweepBatchSize"] = Retention.SweepBatchSize.ToString();
        settings["Registry__SessionLogMaxLength"] = Retention.SessionLogMaxLength.ToString();
        return settings;
    }

    /// <summary>One live run per requester session, started and then silent (the idle timeout is long).</summary>
    private static async Task<List<(string RunId, string Session)>> SpawnKeepersAsync(HttpClient http, SeedClients seed)
    {
        var keepers = new List<(string, string)>();
        for (var s = 0; s < RequesterSessions; s++)
        {
            var session = seed.RequesterOf(s);
            using var spawn = await http.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = session, task = "keeper" });
            spawn.EnsureSuccessStatusCode();
            var runId = (await spawn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
            using var start = await http.PostAsJsonAsync($"/v1/runs/{runId}/events", new { seq = 1, stream = "lifecycle", phase = "start" });
            start.EnsureSuccessStatusCode();
            keepers.Add((runId, session));
        }
        return keepers;
    }

    private static async Task<List<SessionEvent>> ReadLogAsync(RunRegistry registry, string session)
    {
        var events = new List<SessionEvent>();
        for (string? after = null; ;)
        {
            var page = await registry.ReadEventsAsync(ServiceProcess.Tenant, session, after, 500);
            if (page.Count == 0) return events;
            events.AddRange(page);
            after = page[^1].Id;
        }
    }

    /// <summary>Keys that hold registry data: all but the sweepers' leases and heartbeat.</summary>
    private static async Task<List<string>> RegistryKeysAsync(RedisServer redis)
    {
        var keys = new List<string>();
        await foreach (var key in redis.Server.KeysAsync(pattern: "*"))
        {
            var name = key.ToString();
            if (!name.EndsWith(":lease", StringComparison.Ordinal) && name != "gw:sweepers") keys.Add(name);
        }
        return keys;
    }
}
