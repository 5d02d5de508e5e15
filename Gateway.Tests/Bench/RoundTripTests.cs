using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.Tests.Bench;

/// <summary>
/// The round trips of a lifecycle (spawn, start, three agent events, end), counted by the Redis client itself:
/// the figure issue 5 bounds (at most 8) and the benchmark reports. A spawn returns its run from the same
/// script, so the API answers POST /v1/runs without a second read.
/// </summary>
public sealed class RoundTripTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_spawn_returns_its_run_as_stored_in_one_round_trip()
    {
        await using var lab = await Lab.CreateAsync(redis);
        await lab.Registry.SpawnRunAsync(new SpawnRequest("t1", "warm", "load the library")); // FUNCTION LOAD if Redis lacks it

        var before = await lab.RoundTripsAsync();
        var (result, run) = await lab.Registry.SpawnRunAsync(new SpawnRequest("t1", "ticket-1", "answer",
            Label: "l", ChildSessionKey: "ticket-1-s0", Mode: SpawnMode.Session, IdempotencyKey: "k1"));
        Assert.Equal(1, await lab.RoundTripsAsync() - before);

        Assert.Equal(SpawnOutcome.Created, result.Outcome);
        var stored = await lab.Registry.GetRunAsync("t1", result.RunId!);
        Assert.Equal(stored.Run, run);

        var (again, same) = await lab.Registry.SpawnRunAsync(new SpawnRequest("t1", "ticket-1", "answer",
            ChildSessionKey: "ticket-1-s0", Mode: SpawnMode.Session, IdempotencyKey: "k1"));
        Assert.Equal(new SpawnResult(SpawnOutcome.Duplicate, result.RunId), again);
        Assert.Equal(stored.Run, same);
    }

    [Fact]
    public async Task A_lifecycle_takes_six_round_trips()
    {
        await using var lab = await Lab.CreateAsync(redis);
        await lab.LifecycleAsync("warm"); // FUNCTION LOAD if Redis lacks it

        var before = await lab.RoundTripsAsync();
        await lab.LifecycleAsync("ticket-2");
        Assert.Equal(6, await lab.RoundTripsAsync() - before);
    }

    [Fact]
    public async Task A_library_flushed_from_Redis_is_loaded_again_without_running_twice()
    {
        await using var lab = await Lab.CreateAsync(redis);
        await lab.LifecycleAsync("before-flush");

        await redis.Server.ExecuteAsync("FUNCTION", "FLUSH"); // as after a restart without persistence: "Function not found"
        await lab.LifecycleAsync("after-flush"); // asserts every event was accepted once, in order

        var runs = await lab.Registry.ListSessionRunsAsync("t1", "after-flush");
        Assert.Equal((RunStatus.Ok, 5L), (Assert.Single(runs).Status, runs[0].LastSeq));
    }

    private sealed class Lab : IAsyncDisposable
    {
        private readonly ConnectionMultiplexer connection;
        private readonly RedisServer redis;
        private readonly ServiceProvider services;

        private Lab(ConnectionMultiplexer connection, RedisServer redis)
        {
            this.connection = connection;
            this.redis = redis;
            services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var meterFactory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            var metrics = new RegistryMetrics(meterFactory);
            var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
            var scripts = new RegistryScripts(connection, new RetentionPolicy(new RegistryOptions()), clock);
            Registry = new RunRegistry(scripts, new GroupCommit(scripts, metrics, meterFactory), metrics, new RunEndSignals(connection));
        }

        public RunRegistry Registry { get; }

        /// <summary>Round trips this client has made: the commands it sent (none are pipelined here), less the SELECT
        /// the Redis client writes before each FCALL, a command it does not know (in the same write: no round trip).</summary>
        public async Task<long> RoundTripsAsync()
        {
            var stats = (await redis.Server.InfoAsync("commandstats")).SelectMany(g => g)
                .FirstOrDefault(p => p.Key == "cmdstat_select").Value;
            var selects = stats is null ? 0 : long.Parse(stats.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
            return connection.GetCounters().Interactive.OperationCount - selects;
        }

        public static async Task<Lab> CreateAsync(RedisServer redis)
        {
            await redis.FlushAsync();
            return new Lab(await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString), redis);
        }

        public async Task LifecycleAsync(string session)
        {
            var (result, _) = await Registry.SpawnRunAsync(new SpawnRequest("t1", session, "answer", Mode: SpawnMode.Session));
            var id = result.RunId!;
            Assert.Equal(EventOutcome.Accepted, (await Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.Start, 1))).Outcome);
            for (var seq = 2; seq <= 4; seq++)
            {
                Assert.Equal(EventOutcome.Accepted, (await Registry.AppendEventAsync("t1", id, new RunEvent("assistant", seq, "{}"))).Outcome);
            }
            Assert.Equal(EventOutcome.Accepted, (await Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.End, 5))).Outcome);
        }

        public async ValueTask DisposeAsync()
        {
            await services.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
