namespace Gateway.Hosting;

/// <summary>Finds <c>redis-server</c> on the PATH, or fails at once with the command that installs it.</summary>
public static class RedisExecutable
{
    public const string InstallHint =
        "redis-server was not found on PATH. Install it: `sudo apt-get install -y redis-server` (Debian/Ubuntu) " +
        "or `brew install redis` (macOS); or set ConnectionStrings__redis to use a Redis that is already running.";

    public static string Locate() => Locate(Environment.GetEnvironmentVariable("PATH"));

    public static string Locate(string? searchPath)
    {
        var found = (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "redis-server.exe" : "redis-server"))
            .FirstOrDefault(File.Exists);
        return found ?? throw new RedisServerNotFoundException(InstallHint);
    }
}

public sealed class RedisServerNotFoundException(string message) : Exception(message);
