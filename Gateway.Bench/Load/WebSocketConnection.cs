using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Gateway.Bench.Load;

/// <summary>
/// One connection to <c>/v1/ws</c> carrying many requests at once: each in-flight session rents a
/// <see cref="WebSocketRequest"/> slot, sends under one send lock (a WebSocket allows one send at a time), and a
/// single reader loop completes the slot an answer's id names. The id carries the slot's index (id = n × 65,536 +
/// index), so finding the waiting request is an array read. A watchdog fails requests unanswered after 30 s (the
/// HTTP client's timeout) or whose session was cancelled.
/// </summary>
public sealed class WebSocketConnection : IAsyncDisposable
{
    private const int MaxSlots = 65_536;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WatchEvery = TimeSpan.FromMilliseconds(250);

    private readonly ClientWebSocket socket;
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly Lock slotsLock = new();
    private readonly Stack<WebSocketRequest> free = new();
    private readonly CancellationTokenSource closing = new();
    private WebSocketRequest[] slots = [];
    private long sequence;
    private Task reading = Task.CompletedTask;
    private Task watching = Task.CompletedTask;

    private WebSocketConnection(ClientWebSocket socket) => this.socket = socket;

    /// <summary>Why the connection stopped reading, if it did: the requests it failed are counted as "closed: &lt;this&gt;".</summary>
    public string? ClosedBecause { get; private set; }

    /// <summary>Opens <c>/v1/ws</c> at <paramref name="apiUrl"/> and sends <c>connect</c> with the API key; throws unless hello-ok.</summary>
    public static async Task<WebSocketConnection> ConnectAsync(Uri apiUrl, string apiKey, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;  // loopback, and the load keeps it busy
        var url = new UriBuilder(apiUrl) { Scheme = apiUrl.Scheme == "https" ? "wss" : "ws", Path = "/v1/ws" }.Uri;
        try
        {
            await socket.ConnectAsync(url, cancellationToken);
            var hello = """{"type":"req","id":"0","method":"connect","params":{"minProtocol":1,"maxProtocol":1,"auth":{"token":"""
                + JsonSerializer.Serialize(apiKey) + """},"client":{"name":"gateway-bench","version":"1"}}}""";
            await socket.SendAsync(Encoding.UTF8.GetBytes(hello), WebSocketMessageType.Text, true, cancellationToken);
            var buffer = new byte[64 * 1024];
            var count = 0;
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                count += received.Count;
            } while (!received.EndOfMessage && count < buffer.Length);
            var answer = Encoding.UTF8.GetString(buffer, 0, count);
            if (received.MessageType == WebSocketMessageType.Close || !answer.Contains("\"hello-ok\"", StringComparison.Ordinal))
                throw new InvalidOperationException($"connect to {url} was refused: {answer} {socket.CloseStatus} {socket.CloseStatusDescription}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new WebSocketConnection(socket);
        connection.reading = Task.Run(connection.ReadAsync, CancellationToken.None);
        connection.watching = Task.Run(connection.WatchAsync, CancellationToken.None);
        return connection;
    }

    /// <summary>A request slot for one session in flight; give it back with <see cref="Return"/>.</summary>
    public WebSocketRequest Rent()
    {
        lock (slotsLock)
        {
            if (free.TryPop(out var request)) return request;
            if (slots.Length == MaxSlots) throw new InvalidOperationException($"More than {MaxSlots} requests in flight on one connection.");
            request = new WebSocketRequest(this, slots.Length);
            slots = [.. slots, request];  // the reader reads the array without the lock: replace it, never change it
            return request;
        }
    }

    public void Return(WebSocketRequest request)
    {
        lock (slotsLock) free.Push(request);
    }

    /// <summary>The next id for <paramref name="request"/>: unique on this connection, and naming its slot.</summary>
    public long NextId(WebSocketRequest request) => Interlocked.Increment(ref sequence) * MaxSlots + request.Index;

    internal async ValueTask SendAsync(WebSocketRequest request, ReadOnlyMemory<byte> frame)
    {
        await sendLock.WaitAsync();
        try
        {
            // never a cancellation token: cancelling a WebSocket operation aborts the socket
            await socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            request.TryFail($"closed: {ClosedBecause ?? ex.Message}");
        }
        finally
        {
            sendLock.Release();
        }
    }

    private async Task ReadAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult received;
                do
                {
                    if (count == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    received = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += received.Count;
                } while (!received.EndOfMessage);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    ClosedBecause = $"by the server, {socket.CloseStatus} {socket.CloseStatusDescription}";
                    break;
                }
                var frame = buffer.AsSpan(0, count);
                if (!WebSocketReply.TryRead(frame, out var reply) || !reply.IsAnswer) continue;
                var slots = Volatile.Read(ref this.slots);
                var index = (int)(reply.Id % MaxSlots);
                if (reply.Id > 0 && index < slots.Length) slots[index].TryAnswer(reply.Id, reply, frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            ClosedBecause ??= ex.Message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await closing.CancelAsync();
            foreach (var request in Volatile.Read(ref slots)) request.TryFail($"closed: {ClosedBecause}");
        }
    }

    private async Task WatchAsync()
    {
        using var timer = new PeriodicTimer(WatchEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(closing.Token))
            {
                foreach (var request in Volatile.Read(ref slots))
                {
                    if (!request.IsPending) continue;
                    if (request.Cancellation.IsCancellationRequested) request.TryFail("cancelled");
                    else if (Stopwatch.GetElapsedTime(request.Started) > RequestTimeout) request.TryFail("timeout");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // the close handshake's answer arrives on the reader loop, which then ends
            if (socket.State == WebSocketState.Open)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            await reading.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or IOException) { }
        socket.Abort();
        await reading;
        await closing.CancelAsync();
        await watching;
        socket.Dispose();
        sendLock.Dispose();
        closing.Dispose();
    }
}
