using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, owned by one test class (IClassFixture&lt;RedisServer&gt;).
/// It can be stopped and started again on the same port, to test outages; with <see cref="ServerArguments"/>
/// and a <see cref="DataDirectory"/> it persists (AOF) and restarts from its own files.
/// </summary>
public sealed class RedisServer : IRedisStore, IAsyncLifetime
{
    public const string InstallHint = "redis-server is not installed: run `sudo apt-get install -y redis-server` (Debian/Ubuntu), or `bash .ci/run`, which installs it.";

    private Process? process;
    private ConnectionMultiplexer? admin;

    public int Port { get; init; } = FreePorts.Next();


    public string ConnectionString => $"127.0.0.1:{Port},allowAdmin=true";

    /// <summary>Extra redis-server arguments, after the defaults (later ones win), e.g. "--appendonly", "yes".</summary>
    public IReadOnlyList<string> ServerArguments { get; init; } = [];

    /// <summary>The server's working directory (--dir), where an AOF or RDB file goes; kept across restarts.</summary>
    public string? DataDirectory { get; init; }

    public IConnectionMultiplexer Admin => admin ?? throw new InvalidOperationException("Redis is not started.");

    public static string Executable { get; } = FindExecutable();

    public async Task InitializeAsync()
    {
        await StartAsync();
        admin = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",abortConnect=false");
    }

    public async Task DisposeAsync()
    {
        admin?.Dispose();
        await StopAsync();
    }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] defaults = ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"];
        string[] dir = DataDirectory is null ? [] : ["--dir", DataDirectory];
        foreach (var arg in defaults.Concat(dir).Concat(ServerArguments))
        {
            info.ArgumentList.Add(arg);
        }
        process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.TrueAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}.");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, $"redis-server listens on port {Port}", TimeSpan.FromSeconds(10));
    }

    public async Task StopAsync()
    {
        if (process is null || process.HasExited) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        process = null;
    }

    /// <summary>SIGKILL (what Process.Kill sends on Linux): no shutdown, no last fsync of the AOF, as a crash or
    /// the OOM killer would end it. The same as <see cref="StopAsync"/>, named for what a fault test means.</summary>
    public Task KillAsync() => StopAsync();

    /// <summary>The running server's pid, or null when it is stopped.</summary>
    public int? Pid => process is { HasExited: false } p ? p.Id : null;

    public IServer Server => Admin.GetServer("127.0.0.1", Port);

    public Task FlushAsync() => Server.FlushAllDatabasesAsync();

    public async Task<long> KeyCountAsync() => await Server.DatabaseSizeAsync();

    public IEnumerable<RedisKey> Keys() => Server.Keys(pattern: "*");


    private static string FindExecutable()
    {
        var paths = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"])
            .Select(dir => Path.Combine(dir, "redis-server"));
        return paths.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(InstallHint);
    }
}
