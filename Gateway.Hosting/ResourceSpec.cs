namespace Gateway.Hosting;

/// <summary>How to start one resource: the command, the environment added to the launcher's own (children
/// inherit it, as under Aspire, so settings such as Registry__* pass through), and the URL it will serve.</summary>
public sealed record ResourceSpec(
    string Name,
    string FileName,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string? Url,
    string? WorkingDirectory = null,
    string? StandardInput = null);
