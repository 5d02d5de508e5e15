using System.Collections.Concurrent;
using System.Text.Json;

namespace Gateway.Bench.Load;

/// <summary>
/// Drives the workload of <see cref="SessionPlan"/> through <c>/v1/ws</c>: the sessions in flight share the
/// connections (session i on connection i mod n), each with one request outstanding at a time as over HTTP.
/// A session sends <c>runs.spawn</c>, its events in <c>runs.events</c> requests of up to <paramref name="batch"/>
/// events each (1: one request per event, as over HTTP), and <c>runs.abort</c> if it is aborted; a session that
/// never ends just stops. Latency is per request (frame written to answer read); failures are counted by the
/// protocol's error code, never thrown.
/// </summary>
public sealed class WebSocketLoadGenerator(IReadOnlyList<WebSocketConnection> connections, string runTag, int batch) : ILoadGenerator
{
    private readonly ConcurrentDictionary<string, long> failures = new();
    private long sessionsDone;

    public LatencyHistogram Latencies { get; } = new();

    public long SessionsDone => Interlocked.Read(ref sessionsDone);

    public IReadOnlyDictionary<string, long> Failures => failures;

    public long FailedRequests => failures.Values.Sum();

    public async Task RunAsync(long first, long count, int concurrency, CancellationToken cancellationToken)
    {
        var next = first - 1;
        var end = first + count;
        async Task Worker(int worker)
        {
            var connection = connections[worker % connections.Count];
            var request = connection.Rent();
            long i;
            try
            {
                while (!cancellationToken.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < end)
                {
                    await RunSessionAsync(new SessionPlan(i), connection, request, cancellationToken);
                    Interlocked.Increment(ref sessionsDone);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // the run's time limit: the sessions done so far are the result
            }
            finally
            {
                connection.Return(request);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => Worker(w), CancellationToken.None)));
    }

    private async Task RunSessionAsync(SessionPlan plan, WebSocketConnection connection, WebSocketRequest request, CancellationToken cancellationToken)
    {
        WriteSpawn(request.Begin("runs.spawn"u8, connection.NextId(request), cancellationToken), plan);
        if (!await SendAsync(request)) return;
        var runId = request.RunId.ToArray();
        if (runId.Length == 0)
        {
            failures.AddOrUpdate("spawn_without_run_id", 1, (_, n) => n + 1);
            return;
        }
        var events = SessionEvents.Of(plan);
        for (var from = 0; from < events.Length; from += batch)
        {
            WriteEvents(request.Begin("runs.events"u8, connection.NextId(request), cancellationToken), runId, events.AsSpan(from, Math.Min(batch, events.Length - from)));
            if (!await SendAsync(request)) return;
        }
        if (plan.Ending == SessionEnding.Aborted)
        {
            request.Begin("runs.abort"u8, connection.NextId(request), cancellationToken).WriteString("runId"u8, runId);
            await SendAsync(request);
        }
    }

    private async ValueTask<bool> SendAsync(WebSocketRequest request)
    {
        if (await request.SendAsync(Latencies)) return true;
        request.Cancellation.ThrowIfCancellationRequested();
        failures.AddOrUpdate(request.Failure!, 1, (_, n) => n + 1);
        return false;
    }

    private void WriteSpawn(Utf8JsonWriter writer, SessionPlan plan)
    {
        writer.WriteString("requesterSessionKey"u8, $"{runTag}-{plan.Ticket}");
        writer.WriteString("childSessionKey"u8, $"{runTag}-{plan.Child}");
        writer.WriteString("task"u8, "answer the ticket"u8);
        writer.WriteString("spawnMode"u8, "session"u8);
    }

    private static void WriteEvents(Utf8JsonWriter writer, byte[] runId, ReadOnlySpan<byte[]> events)
    {
        writer.WriteString("runId"u8, runId);
        writer.WriteStartArray("events"u8);
        foreach (var body in events) writer.WriteRawValue(body, skipInputValidation: true);
        writer.WriteEndArray();
    }
}
