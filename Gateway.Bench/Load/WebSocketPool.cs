namespace Gateway.Bench.Load;

/// <summary>The WebSocket connections a run's load shares, opened together before the warm-up and closed at the end of the run.</summary>
public sealed class WebSocketPool : IAsyncDisposable
{
    private WebSocketPool(IReadOnlyList<WebSocketConnection> connections) => Connections = connections;

    public IReadOnlyList<WebSocketConnection> Connections { get; }

    public static async Task<WebSocketPool> OpenAsync(Uri apiUrl, string apiKey, int count, CancellationToken cancellationToken)
    {
        var opened = new List<WebSocketConnection>(count);
        try
        {
            for (var i = 0; i < count; i++) opened.Add(await WebSocketConnection.ConnectAsync(apiUrl, apiKey, cancellationToken));
            return new WebSocketPool(opened);
        }
        catch
        {
            foreach (var connection in opened) await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in Connections) await connection.DisposeAsync();
    }
}
