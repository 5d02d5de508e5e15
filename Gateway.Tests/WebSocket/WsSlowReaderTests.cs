using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Gateway.Registry;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.WebSocket;

/// <summary>A client that never reads while its subscription pushes is disconnected (1008, "slow reader") with the
/// server's queue for it never past maxBufferedBytes, and the queue emptied afterwards.</summary>
public sealed class WsSlowReaderTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const int MaxBuffered = 64 * 1024;

    [Fact]
    public async Task A_client_that_never_reads_is_closed_as_a_slow_reader_with_bounded_buffering()
    {
        await using var gateway = new KestrelGateway(redis, new Dictionary<string, string>
        {
            ["Gateway:WebSocket:MaxPayloadBytes"] = "16384",
            ["Gateway:WebSocket:MaxBufferedBytes"] = MaxBuffered.ToString(),
            // long enough for the test to start reading and see the close frame
            ["Gateway:WebSocket:CloseTimeout"] = "00:00:30",
        });
        var meters = gateway.Api.Services.GetRequiredService<IMeterFactory>();
        using var disconnects = new MetricCollector<long>(meters, RegistryMetrics.MeterName, "gateway.ws.disconnects");
        using var buffered = new MetricCollector<long>(meters, RegistryMetrics.MeterName, "gateway.ws.buffered_bytes");
        using var connections = new MetricCollector<long>(meters, RegistryMetrics.MeterName, "gateway.ws.connections");
        using var http = gateway.Http();
        var run = await http.SpawnAsync("agent:firehose");
        await using var client = await gateway.ConnectAsync();
        await client.PayloadAsync("sessions.subscribe", new { sessionKey = "agent:firehose" });

        // From here the client reads nothing; the session's log grows by 30 KB events until the server gives up on it.
        var data = new string('x', 30_000);
        var seq = 0L;
        var peak = 0L;
        await Eventually.TrueAsync(async () =>
        {
            var batch = Enumerable.Range(0, 20).Select(_ => new RunEvent("assistant", ++seq, $"\"{data}\"")).ToList();
            Assert.All(await gateway.Api.Registry.AppendEventsAsync("tenant-a", run.RunId, batch), r => Assert.Equal(EventOutcome.Accepted, r.Outcome));
            buffered.RecordObservableInstruments();
            peak = Math.Max(peak, buffered.LastMeasurement!.Value);
            return disconnects.GetMeasurementSnapshot().Count > 0;
        }, "the server disconnects the client that does not read", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50));

        var disconnect = Assert.Single(disconnects.GetMeasurementSnapshot());
        Assert.Equal("slow_reader", disconnect.Tags["gateway.ws.close_reason"]);
        Assert.InRange(peak, 0, MaxBuffered);

        var frames = await client.ReadUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal("slow reader", client.CloseDescription);
        Assert.True(frames.Count < seq, $"the server dropped what it had queued: {frames.Count} of {seq} pushes reached the client");
        await Eventually.TrueAsync(() =>
        {
            buffered.RecordObservableInstruments();
            connections.RecordObservableInstruments();
            return buffered.LastMeasurement!.Value == 0 && connections.LastMeasurement!.Value == 0;
        }, "no bytes stay queued and no connection stays open");
    }
}
