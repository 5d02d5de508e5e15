using System.CommandLine;
using Gateway.Hosting;

namespace Gateway.AppHost.Launcher;

internal static class LauncherCommand
{
    public static RootCommand Create()
    {
        var replicas = new Option<int>("--api-replicas")
        {
            Description = "Number of gateway-api processes.",
            DefaultValueFactory = _ => 1,
        };
        replicas.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 32) r.AddError("--api-replicas must be between 1 and 32.");
        });
        var ephemeral = new Option<bool>("--ephemeral")
        {
            Description = "Throwaway Redis: no append-only file; its data is gone when the AppHost stops.",
        };
        var dataDir = new Option<DirectoryInfo>("--data-dir")
        {
            Description = "Folder for Redis' append-only file and the resources' logs [default: .data under the repository root].",
        };
        var otlpEndpoint = new Option<string?>("--otlp-endpoint")
        {
            Description = "Send the services' logs, traces and metrics to this OTLP endpoint (an Aspire dashboard: http://localhost:4317) [default: $OTEL_EXPORTER_OTLP_ENDPOINT].",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"),
        };
        var otlpProtocol = new Option<string>("--otlp-protocol")
        {
            Description = "OTLP protocol [default: $OTEL_EXPORTER_OTLP_PROTOCOL, else grpc].",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL") is { Length: > 0 } p ? p : "grpc",
        };
        otlpProtocol.AcceptOnlyFromAmong("grpc", "http/protobuf");
        var noUi = new Option<bool>("--no-ui")
        {
            Description = "Plain output (each resource's lines prefixed with its name) instead of the live view; automatic when output is redirected.",
        };

        var root = new RootCommand("Starts the Gateway: redis, gateway-api replicas and gateway-sweeper, with a live view. Ctrl+C stops everything.")
        {
            replicas, ephemeral, dataDir, otlpEndpoint, otlpProtocol, noUi,
        };
        root.SetAction((result, _) =>
        {
            var endpoint = result.GetValue(otlpEndpoint);
            var settings = new LaunchSettings(
                result.GetValue(replicas),
                result.GetValue(ephemeral),
                result.GetValue(dataDir)?.FullName ?? DataDirectory.Default(),
                string.IsNullOrWhiteSpace(endpoint) ? null : new OtlpExport(endpoint, result.GetValue(otlpProtocol)!),
                result.GetValue(noUi) || Console.IsOutputRedirected);
            return Launch.RunAsync(settings);
        });
        return root;
    }
}
