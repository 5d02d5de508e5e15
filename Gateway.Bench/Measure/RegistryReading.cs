using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Bench.Measure;

/// <summary>Entries per registry, as GET /v1/registry reports them.</summary>
public sealed record RegistryReading(IReadOnlyDictionary<string, long> Entries)
{
    public long Total => Entries.Values.Sum();

    public long Runs => Entries.GetValueOrDefault("runs");

    public static async Task<RegistryReading> ReadAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var json = await http.GetFromJsonAsync<JsonDocument>("/v1/registry", cancellationToken)
            ?? throw new InvalidOperationException("GET /v1/registry returned nothing.");
        return new RegistryReading(json.RootElement.GetProperty("registries").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("entries").GetInt64()));
    }
}
