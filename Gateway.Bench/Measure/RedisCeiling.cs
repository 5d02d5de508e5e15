using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Bench.Measure;

/// <summary>
/// What this Redis server can do at most on this machine, in the same run: redis-benchmark (redis-tools) with
/// the same number of connections as sessions in flight, no pipelining (one round trip per command, like the
/// services), SET and GET in a spare database that it empties afterwards.
/// </summary>
public static class RedisCeiling
{
    public const int Database = 2;

    public static async Task<double?> MeasureAsync(IServer server, string connection, int clients, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(connection);
        var (host, port) = options.EndPoints.FirstOrDefault() switch
        {
            System.Net.IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            System.Net.DnsEndPoint dns => (dns.Host, dns.Port),
            _ => ("127.0.0.1", 6379),
        };
        if (await server.DatabaseSizeAsync(Database) > 0) return null; // not ours to write into
        List<string> args = ["-h", host, "-p", port.ToString(CultureInfo.InvariantCulture), "--dbnum", $"{Database}",
            "-t", "set,get", "-n", "200000", "-c", $"{Math.Clamp(clients, 1, 1000)}", "--csv"];
        if (options.Password is { Length: > 0 } password) args.AddRange(["-a", password]);
        var info = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true };
        args.ForEach(info.ArgumentList.Add);
        try
        {
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            // "SET","123456.78",... one line per test after a header
            var rates = output.Split('\n').Select(l => l.Split(','))
                .Where(f => f.Length > 1 && f[0].Trim('"') is "SET" or "GET")
                .Select(f => double.Parse(f[1].Trim('"'), CultureInfo.InvariantCulture)).ToList();
            return rates.Count > 0 ? Math.Round(rates.Average()) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // redis-benchmark not installed
        }
        finally
        {
            await server.FlushDatabaseAsync(Database);
        }
    }
}
