using System.Diagnostics;

namespace Gateway.Bench.Stack;

/// <summary>
/// A child process of the benchmark (redis-server or a service). Its output is read line by line, so its pipes
/// never fill; the last lines are kept to explain a crash, and <see cref="Line"/> lets a caller watch them.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly Queue<string> tail = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    public string Name { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Raised for every line the child writes, on a thread-pool thread.</summary>
    public event Action<string>? Line;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name} did not start ({fileName}).");
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Receive(e.Data);
        process.ErrorDataReceived += (_, e) => child.Receive(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The child's last lines of output, to say why it stopped.</summary>
    public string Tail()
    {
        lock (tail) return string.Join(Environment.NewLine, tail);
    }

    private void Receive(string? line)
    {
        if (line is null) return;
        lock (tail)
        {
            tail.Enqueue(line);
            while (tail.Count > 20) tail.Dequeue();
        }
        Line?.Invoke(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            // SIGTERM first, so services release their leases and Redis closes cleanly; then make sure.
            Process.Start("kill", ["-TERM", process.Id.ToString()])?.WaitForExit();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        process.Dispose();
    }
}
