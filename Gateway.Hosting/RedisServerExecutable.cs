namespace Aspire.Hosting;

/// <summary>Finds <c>redis-server</c> on the PATH, or fails at once with the command that installs it.</summary>
public static class RedisServerExecutable
{
    public const string InstallHint =
        "redis-server was not found on PATH. Install it: `sudo apt-get install -y redis-server` (Debian/Ubuntu) " +
        "or `brew install redis` (macOS); or, with a container runtime, run the AppHost with --Redis:Runtime=container.";

    public static string Locate() => Locate(Environment.GetEnvironmentVariable("PATH"));

    public static string Locate(string? searchPath) =>
        (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "redis-server.exe" : "redis-server"))
            .FirstOrDefault(File.Exists)
        ?? throw new RedisServerNotFoundException(InstallHint);
}

/// <summary>redis-server is not installed: the message says how to install it.</summary>
public sealed class RedisServerNotFoundException(string message) : DistributedApplicationException(message);
