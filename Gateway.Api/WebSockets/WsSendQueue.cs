using System.Net.WebSockets;

namespace Gateway.Api.WebSockets;

/// <summary>
/// One connection's outgoing frames: queued by any request or subscription, sent in order by one writer loop.
/// Bounded by bytes: a frame that would take the queue past the limit makes the client a slow reader — the queue
/// drops what it holds and the socket is closed with 1008, so a client that does not read costs at most the limit.
/// Every close goes through here, so a refusal is sent before the close frame that follows it.
/// </summary>
public sealed class WsSendQueue(WebSocket socket, long maxBufferedBytes, TimeSpan closeTimeout, WsMetrics metrics) : IDisposable
{
    private readonly Lock gate = new();
    private readonly Queue<WsFrame> queue = new();
    private readonly SemaphoreSlim ready = new(0);
    private long buffered;
    private long pushSeq;
    private bool closing;
    private WebSocketCloseStatus closeStatus;
    private string closeDescription = "";
    private CancellationTokenSource? closeDeadline;

    /// <summary>Why the server closes, once a close is asked for (the first reason wins).</summary>
    public string? CloseReason { get; private set; }

    public bool IsClosing
    {
        get
        {
            lock (gate) return closing;
        }
    }

    /// <summary>Queues a frame; false (and the frame dropped) when the connection is closing or just overflowed.</summary>
    public bool Enqueue(WsFrame frame)
    {
        lock (gate)
        {
            if (!closing && buffered + frame.Length > maxBufferedBytes) CloseLocked(WebSocketCloseStatus.PolicyViolation, "slow reader", WsCloseReason.SlowReader, drop: true);
            if (closing)
            {
                frame.Return();
                return false;
            }
            Add(frame);
        }
        ready.Release();
        return true;
    }

    /// <summary>Serializes and queues a push under the queue's lock, so pushes leave in the order of their seq.</summary>
    public bool Push<TState>(string name, TState state, Action<System.Text.Json.Utf8JsonWriter, TState> payload)
    {
        lock (gate)
        {
            if (closing) return false;
            var frame = WsFrameWriter.Event(name, pushSeq + 1, state, payload);
            if (buffered + frame.Length > maxBufferedBytes)
            {
                frame.Return();
                CloseLocked(WebSocketCloseStatus.PolicyViolation, "slow reader", WsCloseReason.SlowReader, drop: true);
            }
            else
            {
                pushSeq++;
                Add(frame);
            }
        }
        ready.Release();
        return !IsClosing;
    }

    public long Pushes => Interlocked.Read(ref pushSeq);

    /// <summary>Sends what is queued, then the close frame; past the close timeout the socket is aborted.</summary>
    public void Close(WebSocketCloseStatus status, string description, string reason)
    {
        lock (gate) CloseLocked(status, description, reason, drop: false);
        ready.Release();
    }

    private void Add(WsFrame frame)
    {
        queue.Enqueue(frame);
        buffered += frame.Length;
        metrics.Buffered(frame.Length);
    }

    private void CloseLocked(WebSocketCloseStatus status, string description, string reason, bool drop)
    {
        if (closing) return;
        (closing, closeStatus, closeDescription) = (true, status, description);
        Decide(reason);
        if (drop)
        {
            while (queue.TryDequeue(out var frame)) Drop(frame);
        }
        // Real time, not TimeProvider: this bounds I/O with a peer and must not stall under a test's fake clock.
        closeDeadline = new CancellationTokenSource(closeTimeout);
        closeDeadline.Token.Register(socket.Abort);
    }

    /// <summary>The connection's one close reason, counted when it is decided (a slow reader when it overflows,
    /// not when its socket finally goes).</summary>
    private void Decide(string reason)
    {
        if (CloseReason is not null) return;
        CloseReason = reason;
        metrics.Disconnected(reason);
    }

    private void Drop(WsFrame frame)
    {
        buffered -= frame.Length;
        metrics.Buffered(-frame.Length);
        frame.Return();
    }

    /// <summary>The writer loop: runs until the close frame is sent or the socket fails.</summary>
    public async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await ready.WaitAsync();
                WsFrame frame;
                lock (gate)
                {
                    if (!queue.TryDequeue(out frame))
                    {
                        if (closing) break;
                        continue;
                    }
                }
                try
                {
                    await socket.SendAsync(frame.Memory, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                }
                finally
                {
                    lock (gate) Drop(frame);
                }
            }
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(closeStatus, closeDescription, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // the peer is gone or the close timed out: what is left is dropped below
        }
        finally
        {
            lock (gate)
            {
                closing = true;
                Decide(WsCloseReason.Aborted);
                while (queue.TryDequeue(out var frame)) Drop(frame);
            }
        }
    }

    /// <summary>Stops the close deadline once the connection is over.</summary>
    public void Dispose()
    {
        lock (gate) closeDeadline?.Dispose();
    }
}
