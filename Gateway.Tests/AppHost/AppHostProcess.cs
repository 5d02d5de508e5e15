using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Hosting;

namespace Gateway.Tests.AppHost;

/// <summary>What the AppHost writes to &lt;data dir&gt;/apphost.json.</summary>
public sealed record AppHostState(int AppHostPid, string Phase, string ApiKey, string Tenant,
    IReadOnlyList<string> ApiUrls, IReadOnlyList<ResourceStatus> Resources);

/// <summary>
/// Gateway.AppHost as a real process (`dotnet Gateway.AppHost.dll`, built with the tests), in plain mode on a
/// throwaway data folder. Disposing kills it and every process it reported, even when the test failed.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();
    private readonly DirectoryInfo dataDirectory;

    private AppHostProcess(Process process, DirectoryInfo dataDirectory)
    {
        this.process = process;
        this.dataDirectory = dataDirectory;
    }

    public int Pid => process.Id;

    public IReadOnlyList<string> Output => [.. output];

    public string StatePath => Path.Combine(dataDirectory.FullName, "apphost.json");

    public static AppHostProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = ProjectOutputs.FromAssembly(Assembly.GetExecutingAssembly()).DllOf("Gateway.AppHost");
        var data = Directory.CreateTempSubdirectory("gateway-apphost-");
        var info = new ProcessStartInfo(DotnetHost.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--data-dir", data.FullName }.Concat(args)) info.ArgumentList.Add(arg);
        // The test's own environment must not leak in: these would change what the AppHost starts.
        foreach (var inherited in new[] { "ConnectionStrings__redis", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL" })
        {
            info.Environment.Remove(inherited);
        }
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var apphost = new AppHostProcess(process, data);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) apphost.output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) apphost.output.Enqueue("stderr: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return apphost;
    }

    public AppHostState? ReadState()
    {
        try
        {
            return JsonSerializer.Deserialize<AppHostState>(File.ReadAllText(StatePath), Json);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async Task<AppHostState> WaitUntilRunningAsync(TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (ReadState() is { Phase: "running" } state) return state;
            if (process.HasExited) Assert.Fail($"The AppHost exited with code {process.ExitCode} before it was running:\n{Dump()}");
            if (waited.Elapsed > timeout) Assert.Fail($"The AppHost was not running within {timeout.TotalSeconds} s:\n{Dump()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits for an output line that matches, failing with the output when none comes.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout)
        {
            if (output.FirstOrDefault(match) is { } line) return line;
            await Task.Delay(100);
        }
        Assert.Fail($"The AppHost printed no line with {what} within {timeout.TotalSeconds} s:\n{Dump()}");
        return "";
    }

    public void Terminate() => Assert.Equal(0, kill(process.Id, 15));

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The AppHost did not exit within {timeout.TotalSeconds} s of SIGTERM:\n{Dump()}");
        }
        return process.ExitCode;
    }

    /// <summary>The AppHost's own lines and the last lines of its resources, for a failure message.</summary>
    public string Dump() => string.Join('\n', output.Where(l => l.StartsWith("[apphost]") || l.StartsWith("stderr")).TakeLast(40)
        .Concat(["--- last resource lines:"]).Concat(output.Where(l => !l.StartsWith("[apphost]")).TakeLast(30)));

    /// <summary>Running (a zombie has ended; it only waits for its parent to read its exit code).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static IReadOnlyDictionary<string, string> EnvironmentOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1]);

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        // A resource that outlived its AppHost (the assertion this cleanup backs up) must not outlive the test.
        foreach (var pid in ReadState()?.Resources.Select(r => r.Pid) ?? [])
        {
            if (pid is { } p && IsRunning(p) && File.ReadAllText($"/proc/{p}/cmdline") is var cmd
                && (cmd.Contains("redis-server") || cmd.Contains("Gateway.")))
            {
                try { Process.GetProcessById(p).Kill(entireProcessTree: true); } catch (ArgumentException) { }
            }
        }
        process.Dispose();
        try { dataDirectory.Delete(recursive: true); } catch (IOException) { }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
