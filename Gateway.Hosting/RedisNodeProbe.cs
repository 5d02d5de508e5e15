using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// Asks one redis-server a question over a fresh connection (AUTH, then one command), speaking RESP itself: a
/// cluster node's health must not depend on a client that discovers the cluster, since before the cluster is
/// created a node answers PING but a cluster-aware client calls it failed.
/// </summary>
public static class RedisNodeProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>The node's reply to <paramref name="command"/> as text; throws when it does not answer or refuses.</summary>
    public static async Task<string> AskAsync(string host, int port, string password, string[] command, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, timeout.Token);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encode(["AUTH", password]).Concat(Encode(command)).ToArray(), timeout.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await ReadReplyAsync(reader, timeout.Token);
        return await ReadReplyAsync(reader, timeout.Token);
    }

    /// <summary>Healthy when the node answers PING.</summary>
    public static async Task<HealthCheckResult> PingAsync(string host, int port, string password, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await AskAsync(host, port, password, ["PING"], cancellationToken);
            return reply == "PONG" ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"PING answered {reply}");
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or RedisReplyException)
        {
            return HealthCheckResult.Unhealthy($"{host}:{port} does not answer: {ex.Message}");
        }
    }

    /// <summary>The fields of CLUSTER INFO (cluster_state, cluster_slots_assigned, ...).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ClusterInfoAsync(string host, int port, string password, CancellationToken cancellationToken) =>
        (await AskAsync(host, port, password, ["CLUSTER", "INFO"], cancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(':', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);

    private static byte[] Encode(string[] command)
    {
        var text = new StringBuilder($"*{command.Length}\r\n");
        foreach (var part in command) text.Append($"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<string> ReadReplyAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("the connection closed");
        switch (line[0])
        {
            case '+': return line[1..];
            case '-': throw new RedisReplyException(line[1..]);
            case '$':
                var length = int.Parse(line[1..], System.Globalization.CultureInfo.InvariantCulture);
                if (length < 0) return "";
                var buffer = new char[length + 2]; // the bulk string and its CRLF (replies here are ASCII)
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = await reader.ReadAsync(buffer.AsMemory(read), cancellationToken);
                    if (n == 0) throw new IOException("the connection closed");
                    read += n;
                }
                return new string(buffer, 0, length);
            default: return line[1..];
        }
    }
}

/// <summary>Redis answered an error (a wrong password, a command refused).</summary>
public sealed class RedisReplyException(string message) : Exception(message);
