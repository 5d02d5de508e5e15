using System.Text.Json;

namespace Gateway.Bench.Measure;

/// <summary>
/// Evictions by registry and reason, added up from the sweeper's "Sweep pass" log lines (JSON console format,
/// field Evictions = "runs/ttl=3 tombstones/ttl=3"). The shards' own counters in Redis are deleted when a shard
/// empties (an idle Redis holds no key), so after a drain the log is where the totals remain.
/// </summary>
public sealed class SweeperEvictions
{
    private const int PassEventId = 2;
    private readonly Dictionary<string, Dictionary<string, long>> totals = new();

    public void Observe(string line)
    {
        // The orchestrator's log lines may carry a timestamp before the JSON.
        if (line.IndexOf('{') is not (>= 0 and var start)) return;
        try
        {
            using var json = JsonDocument.Parse(line.AsMemory(start));
            var root = json.RootElement;
            if (!root.TryGetProperty("EventId", out var id) || id.GetInt32() != PassEventId) return;
            if (!root.GetProperty("State").TryGetProperty("Evictions", out var field)) return;
            lock (totals)
            {
                foreach (var item in field.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var (key, count) = (item[..item.IndexOf('=')], long.Parse(item[(item.IndexOf('=') + 1)..]));
                    var (registry, reason) = (key[..key.IndexOf('/')], key[(key.IndexOf('/') + 1)..]);
                    var byReason = totals.TryGetValue(registry, out var r) ? r : totals[registry] = new();
                    byReason[reason] = byReason.GetValueOrDefault(reason) + count;
                }
            }
        }
        catch (JsonException) { }
    }

    public IReadOnlyDictionary<string, Dictionary<string, long>> Totals
    {
        get
        {
            lock (totals) return totals.ToDictionary(p => p.Key, p => new Dictionary<string, long>(p.Value));
        }
    }
}
