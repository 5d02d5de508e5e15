namespace Gateway.Hosting;

/// <summary>The API key the launcher generates and gives the API (Gateway:ApiKeys:0), for the developer and the view.</summary>
public sealed record ApiKey(string Key, string Tenant)
{
    public static ApiKey Generate(string tenant = "dev") =>
        new("gw-dev-" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(32, lowercase: true), tenant);
}

public sealed record StackOptions
{
    /// <summary>Folder for redis' append-only file (redis/) and the resources' logs (logs/).</summary>
    public required string DataDirectory { get; init; }

    public required ProjectOutputs Projects { get; init; }

    public required ApiKey ApiKey { get; init; }

    public int ApiReplicas { get; init; } = 1;

    /// <summary>A throwaway Redis: no append-only file, nothing written to disk.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>Use this Redis instead of starting one (the user's ConnectionStrings__redis).</summary>
    public string? RedisConnectionString { get; init; }

    public OtlpExport? Otlp { get; init; }

    /// <summary>The services' DOTNET_ENVIRONMENT, as the AppHost's own under Aspire (an inherited
    /// ASPNETCORE_ENVIRONMENT still wins in the services).</summary>
    public string EnvironmentName { get; init; } =
        Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } name ? name : "Development";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a resource may take to stop after SIGTERM before it is killed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string LogDirectory => Path.Combine(DataDirectory, "logs");
}
