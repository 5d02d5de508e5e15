using System.Globalization;
using Gateway.Hosting;
using StackExchange.Redis;

namespace Gateway.AppHost.Launcher;

internal static class RegistryText
{
    /// <summary>The registries in one structured line, or why they could not be read.</summary>
    public static async Task<string> SummaryAsync(RegistryWatch watch)
    {
        var (reading, error) = await TryReadAsync(watch);
        if (reading is null) return $"registry unreadable: {error}";
        var sizes = string.Join(' ', reading.Snapshot.Registries.Select(r => $"{r.Name}={r.Entries}"));
        var evicted = reading.Snapshot.Registries.Sum(r => r.Evictions.Values.Sum());
        return string.Create(CultureInfo.InvariantCulture,
            $"registry {sizes} evicted={evicted} evictions_per_s={reading.EvictionsPerSecond.Values.Sum():F1} sweeper_lag_s={reading.Snapshot.Lag.TotalSeconds:F1}");
    }

    public static async Task<(RegistryReading? Reading, string? Error)> TryReadAsync(RegistryWatch watch)
    {
        try
        {
            return (await watch.ReadAsync(), null);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return (null, ex.Message);
        }
    }
}
