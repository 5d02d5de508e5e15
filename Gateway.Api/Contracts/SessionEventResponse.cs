using System.Text.Json;
using Gateway.Registry;

namespace Gateway.Api.Contracts;

/// <summary>The <c>data:</c> of one SSE message. Type <c>event</c>: a run's event (seq, kind, data or error);
/// type <c>completion</c>: the run ended (status, reason, error).</summary>
public sealed record SessionEventResponse(string RunId, long? Seq, string? Kind, JsonElement? Data, string? Status, string? Reason, string? Error)
{
    public static SessionEventResponse From(SessionEvent e)
    {
        var f = e.Fields;
        if (e.Type != "event")
        {
            return new(e.RunId, null, null, null, f.GetValueOrDefault("status"), f.GetValueOrDefault("reason"), NullIfEmpty(f.GetValueOrDefault("error")));
        }
        var kind = f.GetValueOrDefault("kind");
        var data = NullIfEmpty(f.GetValueOrDefault("data"));
        var seq = long.TryParse(f.GetValueOrDefault("seq"), out var s) ? s : (long?)null;
        // Lifecycle events carry an error message as text; agent events carry the JSON the client sent.
        return kind is RunEvent.Start or RunEvent.End or RunEvent.Error
            ? new(e.RunId, seq, kind, null, null, null, data)
            : new(e.RunId, seq, kind, data is null ? null : JsonElement.Parse(data), null, null, null);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
