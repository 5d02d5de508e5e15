namespace Gateway.Registry;

/// <summary>A registry snapshot as JSON: GET /v1/registry of the API and GET /admin/registry of the sweeper
/// (the dashboard's "Registry snapshot" command) answer the same shape.</summary>
public sealed record RegistryResponse(DateTimeOffset At, IReadOnlyList<RegistryStateResponse> Registries, double LagSeconds)
{
    public static RegistryResponse From(RegistrySnapshot s) => new(s.At,
        s.Registries.Select(r => new RegistryStateResponse(r.Name, r.Entries, r.OldestOverdue?.TotalSeconds,
            new EvictionCounts(Count(r, "ttl"), Count(r, "cap"), Count(r, "cascade"), Count(r, "finalized")))).ToList(),
        s.Lag.TotalSeconds);

    private static long Count(RegistryState r, string reason) => r.Evictions.GetValueOrDefault(reason);
}

public sealed record RegistryStateResponse(string Name, long Entries, double? OldestOverdueSeconds, EvictionCounts Evictions);

public sealed record EvictionCounts(long Ttl, long Cap, long Cascade, long Finalized);
