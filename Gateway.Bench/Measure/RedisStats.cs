using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Bench.Measure;

/// <summary>One reading of Redis INFO (stats, memory, commandstats) of the server under test.</summary>
public sealed record RedisStats(int ProcessId, long TotalCommands, IReadOnlyDictionary<string, long> CallsByCommand,
    IReadOnlyDictionary<string, long> MicrosecondsByCommand, long UsedMemory, long UsedMemoryPeak)
{
    /// <summary>Function and script calls: every registry write and most reads are one call of the registry's
    /// library (FCALL), one round trip; the sweepers' leases are scripts. Redis counts the commands a call runs as
    /// well, in total_commands_processed and in commandstats (HGET, ZSCORE, ...), so those cannot tell a client's
    /// own read from a function's; the API's only other round trip on the benchmark's path is the read after an
    /// abort (5% of sessions). RoundTripTests count them client-side.</summary>
    public static readonly string[] RoundTripCommands = ["fcall", "fcall_ro", "evalsha", "eval", "evalsha_ro", "eval_ro"];

    public long RoundTrips => RoundTripCommands.Sum(c => CallsByCommand.GetValueOrDefault(c));

    /// <summary>Time Redis spent running functions and scripts (commands inside them included), in microseconds.</summary>
    public long ScriptMicroseconds => RoundTripCommands.Sum(c => MicrosecondsByCommand.GetValueOrDefault(c));

    /// <summary>The sum over several servers (a cluster's masters): commands, calls and memory add up.</summary>
    public static async Task<RedisStats> ReadAsync(IReadOnlyList<IServer> servers)
    {
        var each = await Task.WhenAll(servers.Select(ReadAsync));
        static Dictionary<string, long> Sum(IEnumerable<IReadOnlyDictionary<string, long>> counts) =>
            counts.SelectMany(c => c).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
        return new RedisStats(each[0].ProcessId, each.Sum(s => s.TotalCommands), Sum(each.Select(s => s.CallsByCommand)),
            Sum(each.Select(s => s.MicrosecondsByCommand)), each.Sum(s => s.UsedMemory), each.Sum(s => s.UsedMemoryPeak));
    }

    public static async Task<RedisStats> ReadAsync(IServer server)
    {
        var info = (await server.InfoAsync("all")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        // cmdstat_evalsha:calls=12,usec=345,usec_per_call=28.75,...
        var stats = info.Where(p => p.Key.StartsWith("cmdstat_", StringComparison.Ordinal)).ToDictionary(
            p => p.Key["cmdstat_".Length..],
            p => p.Value.Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]));
        var calls = stats.ToDictionary(p => p.Key, p => long.Parse(p.Value["calls"], CultureInfo.InvariantCulture));
        var usec = stats.ToDictionary(p => p.Key, p => long.Parse(p.Value["usec"], CultureInfo.InvariantCulture));
        return new RedisStats(int.Parse(info["process_id"], CultureInfo.InvariantCulture), long.Parse(info["total_commands_processed"], CultureInfo.InvariantCulture), calls, usec,
            long.Parse(info["used_memory"], CultureInfo.InvariantCulture), long.Parse(info["used_memory_peak"], CultureInfo.InvariantCulture));
    }
}
