using Gateway.Hosting;

namespace Gateway.AppHost.Launcher;

/// <summary>What the developer sees: the plain, line-per-event output or the live Spectre.Console view.</summary>
internal interface IConsoleView
{
    /// <summary>A line a resource wrote (it is in its log file already).</summary>
    void Output(string resource, string line);

    /// <summary>A message of the launcher itself.</summary>
    void Event(string message);

    void StateChanged(ResourceStatus status);

    /// <summary>Shows the running stack and the registries until <paramref name="stop"/> is cancelled.</summary>
    Task ShowAsync(GatewayStack stack, RegistryWatch watch, CancellationToken stop);
}
