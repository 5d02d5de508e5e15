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
public sealed class WebSocketLoadGenerator(IReadOnlyList<WebSocketConnection> connections, string runTag, int batch)
    : LoadGenerator<(WebSocketConnection Connection, WebSocketRequest Request)>
{
    protected override (WebSocketConnection Connection, WebSocketRequest Request) StartWorker(int number)
    {
        var connection = connections[number % connections.Count];
        return (connection, connection.Rent());
    }

    protected override void EndWorker((WebSocketConnection Connection, WebSocketRequest Request) worker) =>
        worker.Connection.Return(worker.Request);

    protected override Task RunSessionAsync(SessionPlan plan, (WebSocketConnection Connection, WebSocketRequest Request) worker,
        CancellationToken cancellationToken) => RunSessionAsync(plan, worker.Connection, worker.Request, cancellationToken);

    private async Task RunSessionAsync(SessionPlan plan, WebSocketConnection connection, WebSocketRequest request, CancellationToken cancellationToken)
    {
        WriteSpawn(request.Begin("runs.spawn"u8, connection.NextId(request), cancellationToken), plan);
        if (!await SendAsync(request)) return;
        var runId = request.RunId.ToArray();
        if (runId.Length == 0)
        {
            Fail("spawn_without_run_id");
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
        Fail(request.Failure!);
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
