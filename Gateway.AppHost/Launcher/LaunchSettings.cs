using Gateway.Hosting;

namespace Gateway.AppHost.Launcher;

/// <summary>The command line, parsed.</summary>
internal sealed record LaunchSettings(
    int ApiReplicas,
    bool Ephemeral,
    string DataDirectory,
    OtlpExport? Otlp,
    bool Plain);
