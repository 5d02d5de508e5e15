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

    /// <summary>The 1-minute load average: how quiet the machine was.</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}
