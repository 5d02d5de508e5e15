using System.Globalization;

namespace Gateway.Bench.Measure;

/// <summary>Per-process figures from /proc: resident memory (VmRSS) and CPU time used, and the load average.</summary>
public static class ProcStats
{
    private const double ClockTicksPerSecond = 100; // USER_HZ on Linux

    public static double? RssMb(int? pid)
    {
        if (pid is null) return null;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return Math.Round(kb / 1024.0, 1);
            }
        }
        catch (IOException) { }
        return null;
    }

    /// <summary>User + system CPU seconds the process has used so far.</summary>
    public static double? CpuSeconds(int? pid)
    {
        if (pid is null) return null;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // fields after the ")" that ends the command name: state is field 3, utime 14, stime 15
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
        }
        catch (IOException) { return null; }
    }

    /// <summary>The first child of a process (a `dotnet run` and the service it started), else the process itself.</summary>
    public static int ChildOf(int pid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var child)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture) == pid) return child;
            }
            catch (IOException) { }
        }
        return pid;
    }

    /// <summary>The 1-minute load average: how quiet the machine was.</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}
