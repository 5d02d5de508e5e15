using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Gateway.Api.Auth;
using Gateway.Api.Errors;

namespace Gateway.Api.WebSockets;

/// <summary>
/// One /v1/ws connection (docs/websocket.md): reads frames, accepts <c>connect</c>, then starts each request's
/// operation in frame order without waiting for the one before (up to maxInFlight at once; past it, it stops
/// reading) and queues each answer when it is ready. Pushes of its subscriptions share the same bounded queue.
/// </summary>
public sealed class WsConnection
{
    private static readonly ActivitySource Source = new("Gateway.Api");

    private readonly WebSocket socket;
    private readonly WsServices services;
    private readonly string connectionId;
    private readonly WsSendQueue sends;
    private readonly SemaphoreSlim inFlight;
    private readonly CancellationTokenSource lifetime = new();
    private WsDispatcher? dispatcher;
    private long requests;

    public WsConnection(WebSocket socket, WsServices services, string connectionId)
    {
        this.socket = socket;
        this.services = services;
        this.connectionId = connectionId;
        sends = new WsSendQueue(socket, services.Limits.MaxBufferedBytes, services.Limits.CloseTimeout, services.Metrics);
        inFlight = new SemaphoreSlim(services.Limits.MaxInFlight, services.Limits.MaxInFlight);
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var started = Stopwatch.GetTimestamp();
        services.Metrics.Opened();
        var writer = sends.RunAsync();
        using var stop = stopping.Register(() => sends.Close(WebSocketCloseStatus.EndpointUnavailable, "server stopping", WsCloseReason.ServerStopping));
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var closed = false;
        try
        {
            (buffer, closed) = await ReceiveAsync(buffer);
        }
        finally
        {
            await lifetime.CancelAsync();
            await DrainAsync();
            sends.Close(WebSocketCloseStatus.NormalClosure, "", closed ? WsCloseReason.ClientClosed : WsCloseReason.Aborted);
            await writer;
            ArrayPool<byte>.Shared.Return(buffer);
            sends.Dispose();
            var reason = sends.CloseReason ?? WsCloseReason.Aborted;
            services.Metrics.Closed();
            services.Logger.LogInformation(
                "WebSocket {ConnectionId} of tenant {Tenant} closed ({Reason}) after {Duration:F1} s: {Requests} requests, {Pushes} pushes",
                connectionId, dispatcher?.Tenant ?? "(none)", reason, Stopwatch.GetElapsedTime(started).TotalSeconds,
                Interlocked.Read(ref requests), sends.Pushes);
        }
    }

    /// <summary>Reads messages until the client's close frame (closed) or a failed socket; returns the (maybe grown) buffer.</summary>
    private async Task<(byte[] Buffer, bool Closed)> ReceiveAsync(byte[] buffer)
    {
        try
        {
            while (true)
            {
                var limit = dispatcher is null ? WebSocketLimits.PreConnectMaxBytes : services.Limits.MaxPayloadBytes;
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length) buffer = Grow(buffer, limit);
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close && length <= limit);

                if (result.MessageType == WebSocketMessageType.Close) return (buffer, true);
                // once closing, frames are dropped until the client's close (the rest of a frame too large included)
                if (sends.IsClosing) continue;
                if (length > limit)
                {
                    Refuse(null, new WsError(WsError.PayloadTooLarge, $"A frame is limited to {limit} bytes{(dispatcher is null ? " before connect" : "")}."),
                        WebSocketCloseStatus.MessageTooBig, "payload too large", WsCloseReason.PayloadTooLarge);
                    continue;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Invalid(null, "Binary messages are not accepted; send each frame as one UTF-8 JSON text message.");
                    continue;
                }
                await HandleAsync(buffer, length);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            return (buffer, false);
        }
    }

    private static byte[] Grow(byte[] buffer, int limit)
    {
        var grown = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
        buffer.CopyTo(grown, 0);
        ArrayPool<byte>.Shared.Return(buffer);
        return grown;
    }

    private async ValueTask HandleAsync(byte[] buffer, int length)
    {
        if (!WsRequestFrame.TryParse(buffer.AsSpan(0, length), out var frame, out var id, out var error))
        {
            Invalid(id, error!);
            return;
        }
        if (dispatcher is null)
        {
            Connect(frame, buffer.AsSpan(0, length));
            return;
        }
        if (!inFlight.Wait(0)) await inFlight.WaitAsync();
        Interlocked.Increment(ref requests);
        Start(frame, buffer, length);
    }

    /// <summary>Starts the request's operation now (its Redis call is issued before the next frame is read) and
    /// queues its answer when it completes.</summary>
    private void Start(WsRequestFrame frame, byte[] buffer, int length)
    {
        var parent = Activity.Current;
        var activity = Source.StartActivity(frame.MethodName, ActivityKind.Server);
        Task<WsFrame> answer;
        try
        {
            answer = dispatcher!.Start(frame, buffer.AsSpan(0, length));
        }
        catch (Exception ex)
        {
            answer = Task.FromException<WsFrame>(ex);
        }
        Activity.Current = parent;
        _ = CompleteAsync(frame.Id, answer, activity);
    }

    private async Task CompleteAsync(string id, Task<WsFrame> answer, Activity? activity)
    {
        try
        {
            var frame = await answer;
            if (!frame.IsEmpty) sends.Enqueue(frame);
        }
        catch (Exception ex) when (StorageFailure.Describe(ex) is { } message)
        {
            activity?.SetStatus(ActivityStatusCode.Error, message);
            services.Logger.LogWarning("Redis unavailable while serving WebSocket {ConnectionId}: {Error}", connectionId, ex.Message);
            sends.Enqueue(WsFrameWriter.Error(id, new WsError(WsError.Unavailable, message, RetryAfterSeconds: services.Options.RetryAfterSeconds)));
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            services.Logger.LogError(ex, "WebSocket {ConnectionId}: request {Id} failed", connectionId, id);
            sends.Enqueue(WsFrameWriter.Error(id, new WsError(WsError.Internal, "The request failed on the server; it is logged.")));
        }
        finally
        {
            activity?.Dispose();
            inFlight.Release();
        }
    }

    private void Connect(WsRequestFrame frame, ReadOnlySpan<byte> json)
    {
        if (frame.Method != WsMethod.Connect)
        {
            Refuse(frame.Id, new WsError(WsError.NotConnected, "The first frame must be 'connect' (see docs/websocket.md)."),
                WebSocketCloseStatus.PolicyViolation, "not connected", WsCloseReason.NotConnected);
            return;
        }
        ConnectParams request;
        try
        {
            request = JsonSerializer.Deserialize(frame.Params(json), WsJson.Connect) ?? new ConnectParams();
        }
        catch (JsonException ex)
        {
            Refuse(frame.Id, new WsError(WsError.InvalidRequest, MalformedJson.Describe(ex)),
                WebSocketCloseStatus.PolicyViolation, "invalid connect", WsCloseReason.NotConnected);
            return;
        }
        var tenant = request.Auth?.Token is { Length: > 0 } token ? ApiKeys.FindTenant(services.Options, token) : null;
        if (tenant is null)
        {
            Refuse(frame.Id, new WsError(WsError.Unauthorized, "Send a valid API key as params.auth.token."),
                (WebSocketCloseStatus)4401, "unauthorized", WsCloseReason.Unauthorized);
            return;
        }
        var (min, max) = (request.MinProtocol ?? WsDispatcher.Protocol, request.MaxProtocol ?? request.MinProtocol ?? WsDispatcher.Protocol);
        if (min > WsDispatcher.Protocol || max < WsDispatcher.Protocol)
        {
            Refuse(frame.Id, new WsError(WsError.UnsupportedProtocol, $"This server speaks protocol {WsDispatcher.Protocol} only; asked for {min} to {max}."),
                WebSocketCloseStatus.ProtocolError, "unsupported protocol", WsCloseReason.UnsupportedProtocol);
            return;
        }
        dispatcher = new WsDispatcher(tenant, services, sends, lifetime.Token);
        sends.Enqueue(WsFrameWriter.Ok(frame.Id, (tenant, services.Limits), WsDispatcher.WriteHello));
    }

    /// <summary>invalid_frame; before connect the socket closes too (only a connect may open the conversation).</summary>
    private void Invalid(string? id, string message)
    {
        var error = new WsError(WsError.InvalidFrame, message);
        if (dispatcher is null) Refuse(id, error, WebSocketCloseStatus.PolicyViolation, "not connected", WsCloseReason.NotConnected);
        else sends.Enqueue(WsFrameWriter.Error(id, error));
    }

    private void Refuse(string? id, WsError error, WebSocketCloseStatus status, string description, string reason)
    {
        sends.Enqueue(WsFrameWriter.Error(id, error));
        sends.Close(status, description, reason);
    }

    /// <summary>Waits for the requests still running (their answers are queued before the close), at most the close timeout.</summary>
    private async Task DrainAsync()
    {
        // Real time, not TimeProvider: this bounds waiting on Redis and must not stall under a test's fake clock.
        using var deadline = new CancellationTokenSource(services.Limits.CloseTimeout);
        try
        {
            for (var i = 0; i < services.Limits.MaxInFlight; i++) await inFlight.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
