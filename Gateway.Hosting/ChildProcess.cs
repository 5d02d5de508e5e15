using System.Diagnostics;

namespace Gateway.Hosting;

/// <summary>
/// One resource running as a child process: its output kept in logs/&lt;name&gt;.log (and echoed, prefixed, in
/// plain mode), its state, and a clean stop (SIGTERM, then kill after a grace period).
/// </summary>
public sealed class ChildProcess
{
    private const int TailLines = 20;
    private const string SetsidPath = "/usr/bin/setsid";

    private readonly Process process;
    private readonly StreamWriter log;
    private readonly Action<string, string>? echo;
    private readonly Queue<string> tail = new();
    private readonly Lock gate = new();
    private readonly Action<ResourceStatus> stateChanged;
    private ResourceState state = ResourceState.Starting;
    private bool stopRequested;
    private bool logClosed;

    private ChildProcess(ResourceSpec spec, Process process, StreamWriter log, string logPath,
        Action<string, string>? echo, Action<ResourceStatus> stateChanged)
    {
        Spec = spec;
        this.process = process;
        this.log = log;
        LogPath = logPath;
        this.echo = echo;
        this.stateChanged = stateChanged;
        Pid = process.Id;
        Exited = WatchAsync();
    }

    public ResourceSpec Spec { get; }

    public string Name => Spec.Name;

    public int Pid { get; }

    public string LogPath { get; }

    /// <summary>Completes when the process has exited and all its output is written.</summary>
    public Task Exited { get; }

    public ResourceStatus Status
    {
        get
        {
            lock (gate)
            {
                int? exitCode = process.HasExited && state is not ResourceState.Stopping ? process.ExitCode : null;
                return new ResourceStatus(Name, state, Pid, Spec.Url, exitCode, LogPath);
            }
        }
    }

    /// <summary>The last lines it wrote, for the error message when it fails to start.</summary>
    public string Tail
    {
        get { lock (gate) return string.Join(Environment.NewLine, tail); }
    }

    public static ChildProcess Start(ResourceSpec spec, string logDirectory, Action<string, string>? echo,
        Action<ResourceStatus> stateChanged)
    {
        // Each child in its own session (setsid execs in place: same PID), so a terminal's Ctrl+C reaches only
        // the launcher, which then stops the services before Redis instead of all of them at once.
        var detach = !OperatingSystem.IsWindows() && File.Exists(SetsidPath);
        var info = new ProcessStartInfo(detach ? SetsidPath : spec.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = spec.StandardInput is not null,
            WorkingDirectory = spec.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        if (detach) info.ArgumentList.Add(spec.FileName);
        foreach (var arg in spec.Arguments) info.ArgumentList.Add(arg);
        foreach (var (key, value) in spec.Environment) info.Environment[key] = value;

        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, spec.Name + ".log");
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{spec.Name}: {spec.FileName} did not start.");
        log.WriteLine($"--- {spec.Name} started: pid {process.Id}, {spec.FileName} {string.Join(' ', spec.Arguments)}");
        var child = new ChildProcess(spec, process, log, logPath, echo, stateChanged);
        process.OutputDataReceived += (_, e) => child.Write(e.Data);
        process.ErrorDataReceived += (_, e) => child.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (spec.StandardInput is not null)
        {
            // Secrets (redis' requirepass) go through stdin, not the command line that `ps` shows.
            process.StandardInput.Write(spec.StandardInput);
            process.StandardInput.Close();
        }
        return child;
    }

    /// <summary>Healthy: shown as Running. Ignored once it has exited.</summary>
    public void MarkRunning() => SetState(ResourceState.Running, onlyFrom: ResourceState.Starting);

    /// <summary>From now on an exit is a stop, not a crash: a terminal's Ctrl+C reaches every process of its
    /// group at once, so a child may exit before the launcher gets to stop it.</summary>
    public void ExpectExit()
    {
        lock (gate) stopRequested = true;
    }

    /// <summary>SIGTERM, then kill (with its children) if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        lock (gate)
        {
            stopRequested = true;
            if (process.HasExited) return;
        }
        SetState(ResourceState.Stopping);
        ProcessSignals.Terminate(process);
        if (await Task.WhenAny(Exited, Task.Delay(grace)) != Exited)
        {
            Write($"--- {Name} did not stop within {grace.TotalSeconds:F0} s: killed");
            process.Kill(entireProcessTree: true);
        }
        await Exited;
    }

    private async Task WatchAsync()
    {
        await process.WaitForExitAsync();
        ResourceState final;
        lock (gate)
        {
            final = stopRequested ? ResourceState.Stopped
                : process.ExitCode == 0 ? ResourceState.Exited
                : ResourceState.Crashed;
        }
        Write($"--- {Name} exited with code {process.ExitCode}: {final}");
        SetState(final);
        lock (gate)
        {
            log.Dispose();
            logClosed = true;
        }
    }

    private void SetState(ResourceState next, ResourceState? onlyFrom = null)
    {
        lock (gate)
        {
            if (onlyFrom is not null && state != onlyFrom) return;
            if (state == next) return;
            state = next;
        }
        stateChanged(Status);
    }

    private void Write(string? line)
    {
        if (line is null) return;
        lock (gate)
        {
            if (logClosed) return;
            log.WriteLine(line);
            tail.Enqueue(line);
            if (tail.Count > TailLines) tail.Dequeue();
        }
        echo?.Invoke(Name, line);
    }
}
