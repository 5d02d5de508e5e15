namespace Gateway.AppHost.Launcher;

internal static class DataDirectory
{
    /// <summary>.data under the repository root (found from the current folder; .gitignore covers it), else under
    /// the current folder. The same folder on every start, so Redis' data survives a restart.</summary>
    public static string Default()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gateway.Aspire.sln"))) return Path.Combine(dir.FullName, ".data");
        }
        return Path.Combine(Environment.CurrentDirectory, ".data");
    }
}
