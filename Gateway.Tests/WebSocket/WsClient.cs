using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Gateway.Tests.WebSocket;

/// <summary>A test's /v1/ws client over System.Net.WebSockets.ClientWebSocket: sends frames, reads answers by id,
/// keeps pushes in arrival order, and says how the server closed.</summary>
public sealed class WsClient : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Dictionary<string, JsonElement> answers = [];
    private readonly Queue<JsonElement> pushes = new();
    private int nextId;

    public ClientWebSocket Socket { get; } = new();

    /// <summary>Every push received so far, in order (those taken by <see cref="NextPushAsync"/> included).</summary>
    public List<JsonElement> Pushes { get; } = [];

    public WebSocketCloseStatus? CloseStatus => Socket.CloseStatus;

    public string? CloseDescription => Socket.CloseStatusDescription;

    public static async Task<WsClient> OpenAsync(Uri uri)
    {
        var client = new WsClient();
        await client.Socket.ConnectAsync(uri, CancellationToken.None);
        return client;
    }

    public Task SendTextAsync(string json) => Socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Sends a request without waiting for its answer; returns its id.</summary>
    public async Task<string> SendAsync(string method, object? parameters)
    {
        var id = $"r{++nextId}";
        await SendTextAsync(JsonSerializer.Serialize(new { type = "req", id, method, @params = parameters }));
        return id;
    }

    /// <summary>Sends a request and returns its whole res frame.</summary>
    public async Task<JsonElement> CallAsync(string method, object? parameters)
    {
        return await AnswerAsync(await SendAsync(method, parameters));
    }

    /// <summary>Sends a request, asserts it succeeded, returns its payload.</summary>
    public async Task<JsonElement> PayloadAsync(string method, object? parameters)
    {
        var res = await CallAsync(method, parameters);
        Assert.True(res.GetProperty("ok").GetBoolean(), $"{method}: {res}");
        return res.GetProperty("payload");
    }

    /// <summary>Sends a request, asserts it was refused with <paramref name="code"/>, returns the error.</summary>
    public async Task<JsonElement> ErrorAsync(string method, object? parameters, string code)
    {
        var res = await CallAsync(method, parameters);
        Assert.False(res.GetProperty("ok").GetBoolean(), $"{method}: {res}");
        var error = res.GetProperty("error");
        Assert.True(code == error.GetProperty("code").GetString(), $"{method}: expected {code}: {res}");
        return error;
    }

    public async Task<JsonElement> AnswerAsync(string id)
    {
        while (!answers.ContainsKey(id))
        {
            if (await ReadAsync() is null) Assert.Fail($"The server closed ({CloseStatus} {CloseDescription}) before answering {id}.");
        }
        answers.Remove(id, out var answer);
        return answer;
    }

    public async Task<JsonElement> NextPushAsync()
    {
        while (pushes.Count == 0)
        {
            if (await ReadAsync() is null) Assert.Fail($"The server closed ({CloseStatus} {CloseDescription}) before a push.");
        }
        return pushes.Dequeue();
    }

    /// <summary>Reads one frame (and files it), or null once the server has closed; a close is answered.</summary>
    public async Task<JsonElement?> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await Socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (Socket.State == WebSocketState.CloseReceived) await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                return null;
            }
            message.Write(buffer, 0, result.Count);
        } while (!result.EndOfMessage);
        var frame = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
        switch (frame.GetProperty("type").GetString())
        {
            case "res" when frame.GetProperty("id").ValueKind == JsonValueKind.String:
                answers[frame.GetProperty("id").GetString()!] = frame;
                break;
            case "event":
                pushes.Enqueue(frame);
                Pushes.Add(frame);
                break;
            default:
                answers["(null)"] = frame;
                break;
        }
        return frame;
    }

    /// <summary>Reads until the server closes, returning the frames read on the way.</summary>
    public async Task<List<JsonElement>> ReadUntilClosedAsync()
    {
        var frames = new List<JsonElement>();
        while (await ReadAsync() is { } frame) frames.Add(frame);
        return frames;
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
        Socket.Dispose();
    }
}
