namespace Gateway.Bench.Stack;

internal static class ChildProcess
{
    /// <summary>The service below a `dotnet run` process (itself, when it started the service directly).</summary>
    public static int ServiceOf(int pid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var child)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]) == pid) return child;
            }
            catch (IOException) { }
        }
        return pid;
    }
}
