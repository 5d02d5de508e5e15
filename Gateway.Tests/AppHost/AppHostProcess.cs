using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.AppHost;

/// <summary>
/// Gateway.AppHost as a developer runs it (`dotnet run` with its http launch profile), but on free loopback
/// ports: a real process that starts DCP and the dashboard. Disposing kills it and everything it started.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private AppHostProcess(Process process) => this.process = process;

    public int Pid => process.Id;

    public IReadOnlyList<string> Output => [.. output];

    public static AppHostProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ProjectOutputs.DllOf("Gateway.AppHost"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // The http launch profile, with ports of its own.
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = $"http://localhost:{FreePorts.Next()}";
        info.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{FreePorts.Next()}";
        info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{FreePorts.Next()}";
        info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        info.Environment["DcpPublisher__RandomizePorts"] = "true";
        foreach (var (key, value) in environment)
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }
        var apphost = new AppHostProcess(Process.Start(info)!);
        apphost.process.OutputDataReceived += (_, e) => { if (e.Data is not null) apphost.output.Enqueue(e.Data); };
        apphost.process.ErrorDataReceived += (_, e) => { if (e.Data is not null) apphost.output.Enqueue("stderr: " + e.Data); };
        apphost.process.BeginOutputReadLine();
        apphost.process.BeginErrorReadLine();
        return apphost;
    }

    /// <summary>The first line that matches, once the AppHost printed it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        string? line = null;
        try
        {
            await Eventually.TrueAsync(() =>
            {
                if ((line = output.FirstOrDefault(match)) is not null) return true;
                if (process.HasExited) Assert.Fail($"The AppHost exited with {process.ExitCode} before it printed {what}.");
                return false;
            }, $"the AppHost prints {what}", timeout, TimeSpan.FromMilliseconds(100));
        }
        catch (Xunit.Sdk.FailException failed)
        {
            Assert.Fail($"{failed.Message}\n{Dump()}");
        }
        return line!;
    }

    /// <summary>The process of a service, below the AppHost (DCP starts it with `dotnet run`).</summary>
    public int ServicePid(string assemblyName) => Processes.Tree(Pid).Concat(DcpProcesses().SelectMany(Processes.Tree))
        .First(p => Processes.CommandLine(p) is var cmd && cmd.Contains($"{assemblyName}", StringComparison.Ordinal) && !cmd.Contains("dotnet run", StringComparison.Ordinal));

    /// <summary>DCP, which outlives the AppHost's own tree (it is re-parented) and watches it by pid.</summary>
    public IReadOnlyList<int> DcpProcesses() => Directory.EnumerateDirectories("/proc")
        .Select(d => int.TryParse(Path.GetFileName(d), out var p) ? p : 0)
        .Where(p => p > 0 && Processes.CommandLine(p) is var cmd && cmd.Contains("dcp", StringComparison.Ordinal) && cmd.Contains($"--monitor {Pid}", StringComparison.Ordinal))
        .ToList();

    /// <summary>Every process of this run: the AppHost's tree and DCP's.</summary>
    public IReadOnlyList<int> AllProcesses() => Processes.Tree(Pid).Concat(DcpProcesses().SelectMany(Processes.Tree)).Distinct().ToList();

    public void Signal(int signal) => Assert.Equal(0, kill(process.Id, signal));

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The AppHost did not exit within {timeout.TotalSeconds} s:\n{Dump()}");
        }
        return process.ExitCode;
    }

    public string Dump() => string.Join('\n', output.TakeLast(60));

    public async ValueTask DisposeAsync()
    {
        var left = AllProcesses();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        foreach (var pid in left.Where(Processes.IsRunning))
        {
            try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        process.Dispose();
    }


    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
