using StackExchange.Redis;

namespace Gateway.Bench.Measure;

/// <summary>The registry's keys left in Redis: every gw:* key but the sweepers' own shard leases and
/// heartbeat set, which exist as long as a sweeper runs and hold no registry data.</summary>
public static class RegistryKeys
{
    /// <summary>Every master's keys (a cluster's masters each hold their slots' keys).</summary>
    public static async Task<IReadOnlyList<string>> LeftAsync(IReadOnlyList<IServer> masters)
    {
        var left = new List<string>();
        foreach (var master in masters) left.AddRange(await LeftAsync(master));
        return left;
    }

    public static async Task<IReadOnlyList<string>> LeftAsync(IServer server, int database = 0)
    {
        var left = new List<string>();
        await foreach (var key in server.KeysAsync(database, "gw:*", pageSize: 1000))
        {
            var name = (string)key!;
            if (name == "gw:sweepers" || name.EndsWith(":lease", StringComparison.Ordinal)) continue;
            left.Add(name);
            if (left.Count >= 100_000) break; // enough to say it did not drain
        }
        return left;
    }
}
