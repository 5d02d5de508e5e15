namespace Gateway.Hosting;

/// <summary>
/// The topology, decided before anything starts: the gateway-api replicas and the gateway-sweeper, each with
/// its URL and environment. Pure: the same inputs give the same plan, so it is tested without processes.
/// </summary>
public static class StackPlan
{
    public const string RedisName = "redis", ApiName = "gateway-api", SweeperName = "gateway-sweeper";

    /// <param name="ports">One free port per project resource: the API replicas first, then the sweeper.</param>
    /// <param name="instanceIds">A unique service.instance.id per project resource, in the same order.</param>
    public static IReadOnlyList<ResourceSpec> Projects(StackOptions options, string redisConnectionString,
        IReadOnlyList<int> ports, IReadOnlyList<string> instanceIds)
    {
        if (ports.Count != options.ApiReplicas + 1 || instanceIds.Count != ports.Count)
        {
            throw new ArgumentException($"Need {options.ApiReplicas + 1} ports and instance ids.", nameof(ports));
        }
        var apiUrls = ports.Take(options.ApiReplicas).Select(Url).ToList();
        var specs = new List<ResourceSpec>();
        for (var i = 0; i < options.ApiReplicas; i++)
        {
            var env = AspireEnvironment.ForProject(ApiName, instanceIds[i], apiUrls[i], redisConnectionString, apiUrls, options.Otlp, options.EnvironmentName);
            env["Gateway__ApiKeys__0__Key"] = options.ApiKey.Key;
            env["Gateway__ApiKeys__0__Tenant"] = options.ApiKey.Tenant;
            specs.Add(Project($"{ApiName}-{i}", options.Projects.DllOf(ProjectOutputs.Api), env, apiUrls[i]));
        }
        var sweeperUrl = Url(ports[^1]);
        specs.Add(Project(SweeperName, options.Projects.DllOf(ProjectOutputs.Sweeper),
            AspireEnvironment.ForProject(SweeperName, instanceIds[^1], sweeperUrl, redisConnectionString, apiUrls, options.Otlp, options.EnvironmentName),
            sweeperUrl));
        return specs;
    }

    /// <summary>redis-server on loopback with a password (sent on stdin), persistent unless ephemeral.</summary>
    public static ResourceSpec Redis(StackOptions options, string executable, int port, string password)
    {
        List<string> args = ["-", "--port", port.ToString(), "--bind", "127.0.0.1", "--daemonize", "no"];
        if (options.Ephemeral)
        {
            args.AddRange(["--save", "", "--appendonly", "no"]);
        }
        else
        {
            // Append-only file, fsync every second; SIGTERM at stop flushes it, so a clean restart loses nothing.
            var dir = Path.Combine(options.DataDirectory, "redis");
            Directory.CreateDirectory(dir);
            args.AddRange(["--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]);
        }
        return new ResourceSpec(RedisName, executable, args, new Dictionary<string, string>(), $"redis://127.0.0.1:{port}",
            WorkingDirectory: options.DataDirectory, StandardInput: $"requirepass {password}\n");
    }

    public static string RedisConnectionString(int port, string password) => $"127.0.0.1:{port},password={password}";

    private static string Url(int port) => $"http://127.0.0.1:{port}";

    private static ResourceSpec Project(string name, string dll, IReadOnlyDictionary<string, string> env, string url) =>
        new(name, DotnetHost.Path, [dll], env, url, WorkingDirectory: Path.GetDirectoryName(dll));
}
