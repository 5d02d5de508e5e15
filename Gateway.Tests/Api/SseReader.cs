using System.Text.Json;

namespace Gateway.Tests.Api;

public sealed record SseMessage(string? Id, string? Type, JsonElement Data);

/// <summary>Reads a text/event-stream response until it has <c>count</c> messages, then disconnects.</summary>
public static class SseReader
{
    public static async Task<List<SseMessage>> ReadAsync(HttpClient client, string path, int count, string? lastEventId = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
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
}
