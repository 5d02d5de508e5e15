using System.Globalization;
using Gateway.Hosting;
using Gateway.Registry;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Gateway.AppHost.Launcher;

/// <summary>The live console view: each resource with its state, URL and PID, the registries with their sizes,
/// eviction rates and the sweeper's lag, and the launcher's latest events, refreshed every second.</summary>
internal sealed class LiveView(string header) : IConsoleView
{
    private const int EventLines = 8;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Queue<string> events = new();
    private readonly Lock gate = new();
    private bool live;

    // Resource output goes to logs/<resource>.log only; printing it would tear the view.
    public void Output(string resource, string line)
    {
    }

    public void Event(string message)
    {
        var stamped = $"{TimeProvider.System.GetLocalNow():HH:mm:ss} {message}";
        lock (gate)
        {
            events.Enqueue(stamped);
            if (events.Count > EventLines) events.Dequeue();
            if (live) return;
        }
        AnsiConsole.MarkupLineInterpolated($"[grey]{stamped}[/]");
    }

    public void StateChanged(ResourceStatus status) => Event(PlainView.Describe(status));

    public async Task ShowAsync(GatewayStack stack, RegistryWatch watch, CancellationToken stop)
    {
        lock (gate) live = true;
        using var timer = new PeriodicTimer(Interval);
        await AnsiConsole.Live(new Markup(Markup.Escape(header))).StartAsync(async context =>
        {
            do
            {
                var (reading, error) = await RegistryText.TryReadAsync(watch);
                context.UpdateTarget(Render(stack, reading, error));
            } while (await Ticks.NextAsync(timer, stop));
        });
        lock (gate) live = false;
    }

    private IRenderable Render(GatewayStack stack, RegistryReading? reading, string? error)
    {
        var resources = new Table().Border(TableBorder.Rounded).Title("resources")
            .AddColumns("Resource", "State", "URL", "PID");
        foreach (var r in stack.Resources)
        {
            resources.AddRow(new Text(r.Name), new Markup($"[{Color(r.State)}]{Markup.Escape(r.Describe())}[/]"),
                new Text(r.Url ?? "-"), new Text(r.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-"));
        }

        var registries = new Table().Border(TableBorder.Rounded).Title("registries")
            .AddColumns("Registry", "Entries", "Evictions/s", "Evicted (ttl/cap/cascade/finalized)", "Oldest overdue");
        if (reading is not null)
        {
            foreach (var r in reading.Snapshot.Registries)
            {
                registries.AddRow(r.Name, r.Entries.ToString("N0", CultureInfo.InvariantCulture),
                    reading.EvictionsPerSecond[r.Name].ToString("F1", CultureInfo.InvariantCulture),
                    string.Join(" / ", Registries.Reasons.Select(reason => r.Evictions.GetValueOrDefault(reason))),
                    r.OldestOverdue is { } o ? $"{o.TotalSeconds:F1} s" : "-");
            }
        }
        var lag = reading is null
            ? $"[red]registry unreadable: {Markup.Escape(error ?? "")}[/]"
            : $"sweeper lag [bold]{reading.Snapshot.Lag.TotalSeconds:F1} s[/], {reading.TotalEntries:N0} entries";

        string[] recent;
        lock (gate) recent = [.. events];
        return new Rows(
            new Markup(Markup.Escape(header)),
            resources,
            registries,
            new Markup(lag),
            new Panel(new Text(string.Join(Environment.NewLine, recent))).Header("events").Border(BoxBorder.Rounded));
    }

    private static string Color(ResourceState state) => state switch
    {
        ResourceState.Running or ResourceState.External => "green",
        ResourceState.Starting or ResourceState.Stopping => "yellow",
        ResourceState.Crashed => "red",
        _ => "grey",
    };
}
