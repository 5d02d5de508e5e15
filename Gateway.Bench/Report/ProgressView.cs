using System.Diagnostics;
using Spectre.Console;

namespace Gateway.Bench.Report;

/// <summary>One phase of the run (warm-up, load, drain, ...) whose progress is shown as it goes.</summary>
public interface IPhase
{
    void Update(double fraction, string detail);
}

/// <summary>
/// Shows the phases of a run: a Spectre.Console progress bar on a terminal, or a plain line on standard error
/// every few seconds when output is redirected (CI logs, --json pipes).
/// </summary>
public abstract class ProgressView
{
    public abstract Task RunAsync(Func<Func<string, IPhase>, Task> body);

    public static ProgressView Create() =>
        Console.IsOutputRedirected || Console.IsErrorRedirected ? new Plain() : new Bars();

    private sealed class Bars : ProgressView
    {
        public override Task RunAsync(Func<Func<string, IPhase>, Task> body) =>
            AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(ctx => body(name => new BarPhase(name, ctx.AddTask(name, maxValue: 1))));

        private sealed class BarPhase(string name, ProgressTask task) : IPhase
        {
            public void Update(double fraction, string detail)
            {
                task.Value = Math.Clamp(fraction, 0, 1);
                task.Description = Markup.Escape($"{name} {detail}");
            }
        }
    }

    private sealed class Plain : ProgressView
    {
        public override Task RunAsync(Func<Func<string, IPhase>, Task> body) => body(name => new PlainPhase(name));

        private sealed class PlainPhase(string name) : IPhase
        {
            private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
            private long last;

            public void Update(double fraction, string detail)
            {
                if (fraction < 1 && last != 0 && Stopwatch.GetElapsedTime(last) < Every) return;
                last = Stopwatch.GetTimestamp();
                Console.Error.WriteLine($"[bench] {name} {fraction:P0} {detail}");
            }
        }
    }
}
