namespace Aspire.Hosting;

/// <summary>Finds <c>redis-server</c> on the PATH, or fails at once with the command that installs it.</summary>
public static class RedisServerExecutable
{
    public const string InstallHint =
        "redis-server was not found on PATH. Install it: `sudo apt-get install -y redis-server` (Debian/Ubuntu) " +
        "or `brew install redis` (macOS); or, with a container runtime, run the AppHost with --Redis:Runtime=container.";

    public static string Locate() => Locate(Environment.GetEnvironmentVariable("PATH"));

    /// <summary>redis-cli, from the same package (a cluster's create step needs it).</summary>
    public static string LocateCli() => Locate(Environment.GetEnvironmentVariable("PATH"), "redis-cli");

    public static string Locate(string? searchPath) => Locate(searchPath, "redis-server");

    /// <summary><paramref name="program"/> (redis-server, redis-cli) in the first folder of the search path that has it.</summary>
    public static string Locate(string? searchPath, string program) =>
        (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? $"{program}.exe" : program))
            .FirstOrDefault(File.Exists)
        ?? throw new RedisServerNotFoundException(program == "redis-server" ? InstallHint : InstallHint.Replace("redis-server was not found", $"{program} was not found", StringComparison.Ordinal));
}

/// <summary>redis-server is not installed: the message says how to install it.</summary>
public sealed class RedisServerNotFoundException(string message) : DistributedApplicationException(message);
