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
        await lab.Registry.SpawnRunAsync(new SpawnRequest("t1", "warm", "load the script")); // SCRIPT LOAD once per process

        var before = lab.Operations;
        var (result, run) = await lab.Registry.SpawnRunAsync(new SpawnRequest("t1", "ticket-1", "answer",
            Label: "l", ChildSessionKey: "ticket-1-s0", Mode: SpawnMode.Session, IdempotencyKey: "k1"));
        Assert.Equal(1, lab.Operations - before);

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
        await lab.LifecycleAsync("warm"); // SCRIPT LOAD once per script and process

        var before = lab.Operations;
        await lab.LifecycleAsync("ticket-2");
        Assert.Equal(6, lab.Operations - before);
    }

    [Fact]
    public async Task Scripts_flushed_from_Redis_are_loaded_again_without_running_twice()
    {
        await using var lab = await Lab.CreateAsync(redis);
        await lab.LifecycleAsync("before-flush");

        await redis.Server.ScriptFlushAsync(); // as after a Redis restart: EVALSHA answers NOSCRIPT
        await lab.LifecycleAsync("after-flush"); // asserts every event was accepted once, in order

        var runs = await lab.Registry.ListSessionRunsAsync("t1", "after-flush");
        Assert.Equal((RunStatus.Ok, 5L), (Assert.Single(runs).Status, runs[0].LastSeq));
    }

    private sealed class Lab : IAsyncDisposable
    {
        private readonly ConnectionMultiplexer connection;
        private readonly ServiceProvider services;

        private Lab(ConnectionMultiplexer connection)
        {
            this.connection = connection;
            services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var meterFactory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            var metrics = new RegistryMetrics(meterFactory);
            var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
            var scripts = new RegistryScripts(connection, new RetentionPolicy(new RegistryOptions()), clock);
            Registry = new RunRegistry(scripts, new GroupCommit(scripts, metrics, meterFactory), metrics, new RunEndSignals(connection));
        }

        public RunRegistry Registry { get; }

        /// <summary>Commands this client has sent (each one round trip; none are pipelined here).</summary>
        public long Operations => connection.GetCounters().Interactive.OperationCount;

        public static async Task<Lab> CreateAsync(RedisServer redis)
        {
            await redis.FlushAsync();
            return new Lab(await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString));
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
