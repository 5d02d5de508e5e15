using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks.Sources;

namespace Gateway.Bench.Load;

/// <summary>
/// One session-in-flight's request slot on a <see cref="WebSocketConnection"/>, reused for every request it sends:
/// the frame is written with one <see cref="Utf8JsonWriter"/> into one buffer, and the answer completes a reusable
/// value-task source, so a request allocates nothing on the way out or back. One request at a time per slot.
/// </summary>
public sealed class WebSocketRequest : IValueTaskSource<bool>
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private readonly WebSocketConnection connection;
    private readonly ArrayBufferWriter<byte> frame = new(1024);
    private readonly Utf8JsonWriter writer;
    private readonly byte[] runId = new byte[128];
    private ManualResetValueTaskSourceCore<bool> completion;
    // The id awaiting its answer, 0 when none: the reader, the watchdog and a failed send race to claim it once.
    private long pendingId;
    private int runIdLength;
    private bool answered;

    internal WebSocketRequest(WebSocketConnection connection, int index)
    {
        this.connection = connection;
        Index = index;
        writer = new Utf8JsonWriter(frame, WriterOptions);
    }

    internal int Index { get; }

    internal long Started { get; private set; }

    internal CancellationToken Cancellation { get; private set; }

    internal bool IsPending => Volatile.Read(ref pendingId) != 0;

    /// <summary>Why the last request failed: the protocol's error code, "event:&lt;code&gt;" for a refused event of a
    /// batch, or what happened to the connection ("timeout", "closed: &lt;why&gt;"); null when it succeeded.</summary>
    public string? Failure { get; private set; }

    /// <summary>The runId of the last answer that carried one (runs.spawn's run), valid until the next answer.</summary>
    public ReadOnlySpan<byte> RunId => runId.AsSpan(0, runIdLength);

    /// <summary>Starts a request frame and returns the writer positioned inside its <c>params</c> object.</summary>
    public Utf8JsonWriter Begin(ReadOnlySpan<byte> method, long id, CancellationToken cancellationToken)
    {
        frame.ResetWrittenCount();
        writer.Reset(frame);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "req"u8);
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(id, digits, out var written);
        writer.WriteString("id"u8, digits[..written]);
        writer.WriteString("method"u8, method);
        writer.WritePropertyName("params"u8);
        writer.WriteStartObject();
        Cancellation = cancellationToken;
        completion.Reset();
        Failure = null;
        answered = false;
        Volatile.Write(ref pendingId, -id);  // written, not yet sent: no answer can be for it
        return writer;
    }

    /// <summary>Closes the frame, sends it and waits for its answer; true if the server answered ok (and every event of a batch was accepted).</summary>
    public async ValueTask<bool> SendAsync(LatencyHistogram latencies)
    {
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        var id = -Volatile.Read(ref pendingId);
        Started = Stopwatch.GetTimestamp();
        Volatile.Write(ref pendingId, id);  // registered before it is sent: the answer may come before SendAsync returns
        await connection.SendAsync(this, frame.WrittenMemory);
        var ok = await new ValueTask<bool>(this, completion.Version);
        // as over HTTP, a latency is an answer's, whatever it said; a request that never got one has none
        if (answered) latencies.Record(Stopwatch.GetElapsedTime(Started));
        return ok;
    }

    /// <summary>The reader's side: completes the request if <paramref name="id"/> is the one it awaits.</summary>
    internal bool TryAnswer(long id, in WebSocketReply reply, ReadOnlySpan<byte> frameBytes)
    {
        if (id <= 0 || Interlocked.CompareExchange(ref pendingId, 0, id) != id) return false;
        if (reply.RunIdLength > 0 && reply.RunIdLength <= runId.Length)
        {
            frameBytes.Slice(reply.RunIdStart, reply.RunIdLength).CopyTo(runId);
            runIdLength = reply.RunIdLength;
        }
        var ok = reply.Ok && reply.RefusedResults == 0;
        if (!ok)
        {
            var code = reply.CodeLength > 0 ? Encoding.UTF8.GetString(frameBytes.Slice(reply.CodeStart, reply.CodeLength)) : "unknown";
            Failure = reply.Ok ? $"event:{code}" : code;
        }
        answered = true;
        completion.SetResult(ok);
        return true;
    }

    /// <summary>Fails the request awaiting an answer (timeout, a lost connection, the run's cancellation), if any.</summary>
    internal void TryFail(string failure)
    {
        var id = Volatile.Read(ref pendingId);
        if (id <= 0 || Interlocked.CompareExchange(ref pendingId, 0, id) != id) return;
        Failure = failure;
        completion.SetResult(false);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => completion.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        completion.OnCompleted(continuation, state, token, flags);
}
