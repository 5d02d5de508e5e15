using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Faults;

/// <summary>
/// A Gateway service (Gateway.Api or Gateway.Sweeper) as a real process, <c>dotnet &lt;its dll&gt;</c>, on a
/// loopback port of its own and a real Redis, configured by environment variables as in production. It can be
/// SIGKILLed and started again on the same port; its console output is kept for the test to read.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    public const string ApiKey = "faults-api-key";
    public const string Tenant = "t1";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string assemblyName;
    private readonly IReadOnlyDictionary<string, string> settings;
    private readonly ConcurrentQueue<string> output = new();
    private Process? process;

    private ServiceProcess(string assemblyName, RedisServer redis, IReadOnlyDictionary<string, string> settings)
    {
        this.assemblyName = assemblyName;
        this.settings = new Dictionary<string, string>(settings)
        {
            ["ConnectionStrings__redis"] = $"127.0.0.1:{redis.Port},abortConnect=false",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}",
            ["Gateway__ApiKeys__0__Key"] = ApiKey,
            ["Gateway__ApiKeys__0__Tenant"] = Tenant,
        };
    }

    public int Port { get; } = FreePorts.Next();

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public int Pid => process?.Id ?? throw new InvalidOperationException($"{assemblyName} is not running.");

    /// <summary>Every line printed so far, by every start of this service.</summary>
    public IReadOnlyList<string> Output => [.. output];

    /// <summary>Starts the service and returns once it answers /alive.</summary>
    public static async Task<ServiceProcess> StartAsync(string assemblyName, RedisServer redis, IReadOnlyDictionary<string, string> settings)
    {
        var service = new ServiceProcess(assemblyName, redis, settings);
        await service.StartAsync();
        return service;
    }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ProjectOutputs.DllOf(assemblyName));
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings) info.Environment[key] = value;
        var started = Process.Start(info) ?? throw new InvalidOperationException($"{assemblyName} did not start.");
        started.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        started.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue("stderr: " + e.Data); };
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;

        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.TrueAsync(async () =>
        {
            if (started.HasExited) Assert.Fail($"{assemblyName} exited with {started.ExitCode} at start:\n{Dump()}");
            try
            {
                return (await probe.GetAsync("/alive")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, $"{assemblyName} answers /alive on port {Port}", StartTimeout, TimeSpan.FromMilliseconds(50));
    }

    /// <summary>SIGKILL (Process.Kill on Linux): no shutdown, no lease release, requests in flight cut off.</summary>
    public async Task KillAsync()
    {
        if (process is not { } running) return;
        running.Kill();
        await running.WaitForExitAsync();
        running.Dispose();
        process = null;
    }

    /// <summary>A client of this service with the test tenant's API key.</summary>
    public HttpClient Client(TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    public string Dump() => string.Join('\n', output.TakeLast(40));

    public async ValueTask DisposeAsync() => await KillAsync();
}
