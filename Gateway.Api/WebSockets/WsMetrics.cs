using System.Diagnostics.Metrics;
using Gateway.Registry;

namespace Gateway.Api.WebSockets;

/// <summary>
/// The WebSocket connections of this process are a registry too: how many are open, how many bytes wait in their
/// send queues (bounded per connection by Gateway:WebSocket:MaxBufferedBytes), and why connections ended.
/// </summary>
public sealed class WsMetrics
{
    private readonly Counter<long> disconnects;
    private long connections;
    private long bufferedBytes;

    public WsMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(RegistryMetrics.MeterName);
        meter.CreateObservableUpDownCounter("gateway.ws.connections", () => Connections, "{connection}",
            "Open /v1/ws connections.");
        meter.CreateObservableUpDownCounter("gateway.ws.buffered_bytes", () => BufferedBytes, "By",
            "Bytes of answers and pushes queued to be sent on /v1/ws connections.");
        disconnects = meter.CreateCounter<long>("gateway.ws.disconnects", "{connection}",
            "/v1/ws connections ended, by reason (gateway.ws.close_reason), counted when the reason is known.");
    }

    public long Connections => Interlocked.Read(ref connections);

    public long BufferedBytes => Interlocked.Read(ref bufferedBytes);

    public void Opened() => Interlocked.Increment(ref connections);

    public void Closed() => Interlocked.Decrement(ref connections);

    public void Disconnected(string reason) => disconnects.Add(1, new KeyValuePair<string, object?>("gateway.ws.close_reason", reason));

    public void Buffered(long bytes) => Interlocked.Add(ref bufferedBytes, bytes);
}
