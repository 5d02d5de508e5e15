using Gateway.Hosting;

namespace Gateway.Bench.Stack;

/// <summary>
/// The benchmark's own stack, started by Gateway.Hosting exactly as the AppHost starts it (redis-server,
/// gateway-api, gateway-sweeper as processes with the Aspire environment), but with a throwaway Redis and
/// the short retention of <see cref="StackSettings"/>. The settings reach the services the way any setting
/// does under the AppHost: children inherit the launcher's environment.
/// </summary>
public sealed class BenchStack : IAsyncDisposable
{
    private readonly GatewayStack stack;
    private readonly string dataDirectory;

    private BenchStack(GatewayStack stack, string dataDirectory)
    {
        this.stack = stack;
        this.dataDirectory = dataDirectory;
    }

    public string RedisConnection => stack.RedisConnectionString;

    public Uri ApiUrl => new(stack.ApiUrls[0]);

    public int? ApiPid => Pid(StackPlan.ApiName + "-0");

    public int? SweeperPid => Pid(StackPlan.SweeperName);

    /// <summary>Each line the sweeper writes (its "Sweep pass" lines carry the evictions).</summary>
    public event Action<string>? SweeperLine;

    public static async Task<BenchStack> StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (key, value) in StackSettings.Environment) Environment.SetEnvironmentVariable(key, value);
        var dataDirectory = Directory.CreateTempSubdirectory("gateway-bench-").FullName;
        BenchStack? bench = null;
        var observer = new StackObserver(Output: (name, line) =>
        {
            if (name == StackPlan.SweeperName) bench?.SweeperLine?.Invoke(line);
        });
        var options = new StackOptions
        {
            DataDirectory = dataDirectory,
            Projects = ProjectOutputs.FromAssembly(typeof(BenchStack).Assembly),
            ApiKey = new ApiKey(StackSettings.ApiKey, StackSettings.Tenant),
            Ephemeral = true,
            EnvironmentName = "Production",
        };
        var stack = await GatewayStack.StartAsync(options, observer, cancellationToken);
        bench = new BenchStack(stack, dataDirectory);
        return bench;
    }

    private int? Pid(string name) => stack.Resources.FirstOrDefault(r => r.Name == name)?.Pid;

    public async ValueTask DisposeAsync()
    {
        await stack.DisposeAsync();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException) { }
    }
}
