using Gateway.Api.Operations;

namespace Gateway.Api.WebSockets;

/// <summary>A refusal as the protocol sends it (docs/websocket.md, Errors): a code, a message, and details —
/// the fields that failed validation, or when to retry.</summary>
public sealed record WsError(string Code, string Message, Dictionary<string, string[]>? Errors = null, int? RetryAfterSeconds = null)
{
    public const string InvalidFrame = "invalid_frame", InvalidRequest = "invalid_request", UnknownMethod = "unknown_method",
        NotConnected = "not_connected", Unauthorized = "unauthorized", UnsupportedProtocol = "unsupported_protocol",
        NotFound = "not_found", Gone = "gone", Conflict = "conflict", PayloadTooLarge = "payload_too_large",
        SubscriptionLimit = "subscription_limit", Unavailable = "unavailable", Internal = "internal_error";

    /// <summary>An operation's error, with the same message HTTP's ProblemDetails carries as its detail.</summary>
    public static WsError From(OperationError error, int retryAfterSeconds) => error.Kind switch
    {
        ErrorKind.Invalid => new(InvalidRequest, error.Message, error.Errors),
        ErrorKind.NotFound => new(NotFound, error.Message),
        ErrorKind.Gone => new(Gone, error.Message),
        ErrorKind.Conflict => new(Conflict, error.Message),
        _ => new(Unavailable, error.Message, RetryAfterSeconds: retryAfterSeconds),
    };
}
