using System.Text.Json;

namespace Gateway.Tests.Api;

public sealed record SseMessage(string? Id, string? Type, JsonElement Data);

/// <summary>Reads a text/event-stream response.</summary>
public static class SseReader
{
    /// <summary>Reads until <paramref name="count"/> messages have come, then disconnects.</summary>
    public static async Task<List<SseMessage>> ReadAsync(HttpClient client, string path, int count, string? lastEventId = null)
    {
        await using var stream = await OpenAsync(client, path, lastEventId);
        return await stream.ReadAsync(count);
    }

    /// <summary>Connects and returns once the response has begun: the server has read the log once already (it
    /// answers after that first read), so whatever is written from now on can only come by its later polls.</summary>
    public static async Task<SseStream> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        return new SseStream(request, response, reader, timeout);
    }
}

public sealed class SseStream(HttpRequestMessage request, HttpResponseMessage response, StreamReader reader, CancellationTokenSource timeout)
    : IAsyncDisposable
{
    public async Task<List<SseMessage>> ReadAsync(int count)
    {
        var messages = new List<SseMessage>();
        string? id = null, type = null, data = null;
        while (messages.Count < count && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            else if (line.Length == 0 && data is not null)
            {
                messages.Add(new SseMessage(id, type, JsonElement.Parse(data)));
                (id, type, data) = (null, null, null);
            }
        }
        return messages;
    }

    public ValueTask DisposeAsync()
    {
        reader.Dispose();
        response.Dispose();
        request.Dispose();
        timeout.Dispose();
        return ValueTask.CompletedTask;
    }
}
