using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Bench.Measure;

/// <summary>One reading of Redis INFO (stats, memory, commandstats) of the server under test.</summary>
public sealed record RedisStats(int ProcessId, long TotalCommands, IReadOnlyDictionary<string, long> CallsByCommand, long UsedMemory, long UsedMemoryPeak)
{
    /// <summary>Commands a client sends as one round trip on the registry's paths: scripts, and the reads the
    /// API makes outside a script (HGETALL of a run). Redis counts commands run inside a script as well, in
    /// both total_commands_processed and commandstats, so those two alone overstate the round trips.</summary>
    public static readonly string[] RoundTripCommands = ["evalsha", "eval", "evalsha_ro", "eval_ro", "hgetall"];

    public long RoundTrips => RoundTripCommands.Sum(c => CallsByCommand.GetValueOrDefault(c));

    public static async Task<RedisStats> ReadAsync(IServer server)
    {
        var info = (await server.InfoAsync("all")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        var calls = info.Where(p => p.Key.StartsWith("cmdstat_", StringComparison.Ordinal)).ToDictionary(
            p => p.Key["cmdstat_".Length..],
            p => long.Parse(p.Value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture));
        return new RedisStats(int.Parse(info["process_id"], CultureInfo.InvariantCulture), long.Parse(info["total_commands_processed"], CultureInfo.InvariantCulture), calls,
            long.Parse(info["used_memory"], CultureInfo.InvariantCulture), long.Parse(info["used_memory_peak"], CultureInfo.InvariantCulture));
    }
}
