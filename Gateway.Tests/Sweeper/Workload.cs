using Gateway.Registry;

namespace Gateway.Tests.Sweeper;

/// <summary>The seed's mix of run shapes over many sessions (so every shard gets entries): run- and
/// session-mode runs with idempotency keys; 10% with an error and no end, 10% with nothing after start;
/// every fifth run with a tool-event recipient.</summary>
internal static class Workload
{
    public static async Task WriteAsync(RunRegistry registry, int sessions, string tenant = "t1")
    {
        for (var i = 0; i < sessions; i++)
        {
            var mode = i % 2 == 0 ? SpawnMode.Session : SpawnMode.Run;
            var spawn = await registry.SpawnAsync(new SpawnRequest(tenant, $"agent:s{i}", "task", Mode: mode, IdempotencyKey: $"k{i}"));
            Assert.Equal(SpawnOutcome.Created, spawn.Outcome);
            var id = spawn.RunId!;
            await Accept(registry.AppendEventAsync(tenant, id, new RunEvent(RunEvent.Start, 1)));
            if (i % 5 == 0) await registry.UpdateRecipientsAsync(tenant, id, ["conn-1"], []);
            switch (i % 10)
            {
                case 0:
                    await Accept(registry.AppendEventAsync(tenant, id, new RunEvent(RunEvent.Error, 2, "boom")));
                    break;
                case 1:
                    break;
                default:
                    await Accept(registry.AppendEventAsync(tenant, id, new RunEvent("assistant", 2, "hi")));
                    await Accept(registry.AppendEventAsync(tenant, id, new RunEvent(RunEvent.End, 3)));
                    break;
            }
        }
    }

    private static async Task Accept(Task<EventResult> append) => Assert.Equal(EventOutcome.Accepted, (await append).Outcome);
}
