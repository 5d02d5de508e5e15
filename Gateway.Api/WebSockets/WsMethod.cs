namespace Gateway.Api.WebSockets;

/// <summary>The methods of docs/websocket.md's table.</summary>
public enum WsMethod { Unknown, Connect, RunsSpawn, RunsGet, RunsEvents, RunsAbort, RunsRecipients, RunsSubscribe, SessionsRuns, SessionsAbort, SessionsSubscribe, SessionsUnsubscribe }

public static class WsMethods
{
    /// <summary>The method a frame names, compared as UTF-8 bytes (no string per frame).</summary>
    public static WsMethod Parse(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("runs.spawn"u8) => WsMethod.RunsSpawn,
        _ when name.SequenceEqual("runs.events"u8) => WsMethod.RunsEvents,
        _ when name.SequenceEqual("runs.get"u8) => WsMethod.RunsGet,
        _ when name.SequenceEqual("runs.abort"u8) => WsMethod.RunsAbort,
        _ when name.SequenceEqual("runs.recipients"u8) => WsMethod.RunsRecipients,
        _ when name.SequenceEqual("runs.subscribe"u8) => WsMethod.RunsSubscribe,
        _ when name.SequenceEqual("sessions.runs"u8) => WsMethod.SessionsRuns,
        _ when name.SequenceEqual("sessions.abort"u8) => WsMethod.SessionsAbort,
        _ when name.SequenceEqual("sessions.subscribe"u8) => WsMethod.SessionsSubscribe,
        _ when name.SequenceEqual("sessions.unsubscribe"u8) => WsMethod.SessionsUnsubscribe,
        _ when name.SequenceEqual("connect"u8) => WsMethod.Connect,
        _ => WsMethod.Unknown,
    };

    /// <summary>The wire name, also the name of the request's trace span.</summary>
    public static string Name(WsMethod method) => method switch
    {
        WsMethod.Connect => "connect",
        WsMethod.RunsSpawn => "runs.spawn",
        WsMethod.RunsGet => "runs.get",
        WsMethod.RunsEvents => "runs.events",
        WsMethod.RunsAbort => "runs.abort",
        WsMethod.RunsRecipients => "runs.recipients",
        WsMethod.RunsSubscribe => "runs.subscribe",
        WsMethod.SessionsRuns => "sessions.runs",
        WsMethod.SessionsAbort => "sessions.abort",
        WsMethod.SessionsSubscribe => "sessions.subscribe",
        WsMethod.SessionsUnsubscribe => "sessions.unsubscribe",
        _ => "unknown",
    };
}
