using Gateway.Hosting;

namespace Gateway.AppHost.Launcher;

/// <summary>One line per event, each resource's lines prefixed with its name: for logs, CI and redirected output.</summary>
internal sealed class PlainView : IConsoleView
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public void Output(string resource, string line) => Console.Out.WriteLine($"[{resource}] {line}");

    public void Event(string message) => Console.Out.WriteLine($"[apphost] {message}");

    public void StateChanged(ResourceStatus status) => Event(Describe(status));

    public static string Describe(ResourceStatus s) =>
        $"{s.Name} {s.Describe()} pid={s.Pid?.ToString() ?? "-"} url={s.Url ?? "-"}" +
        (s.State is ResourceState.Crashed or ResourceState.Exited ? $" log={s.LogPath}" : "");

    /// <summary>A registry line whenever it changes (checked every 2 s).</summary>
    public async Task ShowAsync(GatewayStack stack, RegistryWatch watch, CancellationToken stop)
    {
        string? last = null;
        using var timer = new PeriodicTimer(Interval);
        do
        {
            var line = await RegistryText.SummaryAsync(watch);
            if (line != last) Event(line);
            last = line;
        } while (await Ticks.NextAsync(timer, stop));
    }
}
