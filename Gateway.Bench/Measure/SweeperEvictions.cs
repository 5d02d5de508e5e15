using System.Text.RegularExpressions;

namespace Gateway.Bench.Measure;

/// <summary>
/// Evictions by registry and reason, added up from the sweeper's "Sweep pass" log lines ("Sweep pass: 6 evicted
/// [runs/ttl=3 tombstones/ttl=3] …", found in the line whatever the console formatter). The shards' own counters
/// in Redis are deleted when a shard empties (an idle Redis holds no key), so after a drain the log is where the
/// totals remain.
/// </summary>
public sealed partial class SweeperEvictions
{
    private readonly Dictionary<string, Dictionary<string, long>> totals = new();

    [GeneratedRegex(@"Sweep pass: \d+ evicted \[(?<evictions>[^\]]*)\]")]
    private static partial Regex PassLine();

    public void Observe(string line)
    {
        if (PassLine().Match(line) is not { Success: true } pass) return;
        lock (totals)
        {
            foreach (var item in pass.Groups["evictions"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var (key, count) = (item[..item.IndexOf('=')], long.Parse(item[(item.IndexOf('=') + 1)..]));
                var (registry, reason) = (key[..key.IndexOf('/')], key[(key.IndexOf('/') + 1)..]);
                var byReason = totals.TryGetValue(registry, out var r) ? r : totals[registry] = new();
                byReason[reason] = byReason.GetValueOrDefault(reason) + count;
            }
        }
    }

    public IReadOnlyDictionary<string, Dictionary<string, long>> Totals
    {
        get
        {
            lock (totals) return totals.ToDictionary(p => p.Key, p => new Dictionary<string, long>(p.Value));
        }
    }
}
