namespace Gateway.Hosting;

/// <summary>An OTLP destination (an Aspire dashboard or collector): endpoint and protocol (grpc or http/protobuf).</summary>
public sealed record OtlpExport(string Endpoint, string Protocol = "grpc");

/// <summary>
/// The environment Aspire's orchestrator injects into a project resource, with the same names, so a service
/// cannot tell this launcher from Aspire: its URL, the connection string of each reference, service discovery
/// entries, and OpenTelemetry identity and export.
/// </summary>
public static class AspireEnvironment
{
    public static Dictionary<string, string> ForProject(
        string serviceName,
        string instanceId,
        string url,
        string redisConnectionString,
        IReadOnlyList<string> apiUrls,
        OtlpExport? otlp,
        string environmentName = "Development")
    {
        var env = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = environmentName,
            ["ASPNETCORE_URLS"] = url,
            ["ConnectionStrings__redis"] = redisConnectionString,
            ["OTEL_SERVICE_NAME"] = serviceName,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={instanceId}",
        };
        for (var i = 0; i < apiUrls.Count; i++)
        {
            env[$"services__{StackPlan.ApiName}__http__{i}"] = apiUrls[i];
        }
        if (otlp is not null)
        {
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.Endpoint;
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = otlp.Protocol;
            // What Aspire adds in development so the dashboard shows telemetry within a second, not a minute.
            env["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
            env["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
            env["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
            env["OTEL_TRACES_SAMPLER"] = "always_on";
        }
        return env;
    }
}
