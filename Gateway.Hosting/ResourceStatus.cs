namespace Gateway.Hosting;

public enum ResourceState
{
    Starting,
    /// <summary>Started and healthy (/health answered 200, or Redis answered PING).</summary>
    Running,
    /// <summary>Not started by the launcher (ConnectionStrings__redis named it).</summary>
    External,
    /// <summary>Exited by itself with code 0 while nobody asked it to stop.</summary>
    Exited,
    /// <summary>Exited by itself with a non-zero code.</summary>
    Crashed,
    Stopping,
    Stopped,
}

/// <summary>What the console view and the state file show of one resource.</summary>
public sealed record ResourceStatus(string Name, ResourceState State, int? Pid, string? Url, int? ExitCode, string? LogPath)
{
    public string Describe() => State switch
    {
        ResourceState.Crashed or ResourceState.Exited or ResourceState.Stopped when ExitCode is not null => $"{State} ({ExitCode})",
        _ => State.ToString(),
    };
}
