namespace Gateway.Api.Operations;

/// <summary>What kind of refusal an operation gave: each transport maps it to its own form (an HTTP status, a
/// WebSocket error code), so the same mistake reads the same over both.</summary>
public enum ErrorKind { Invalid, NotFound, Gone, Conflict, Unavailable }

/// <summary>An operation's refusal: its kind, a title (ProblemDetails' <c>title</c>), the message a client reads,
/// and, for <see cref="ErrorKind.Invalid"/>, the problems by field.</summary>
public sealed record OperationError(ErrorKind Kind, string Title, string Message, Dictionary<string, string[]>? Errors = null)
{
    public static OperationError Invalid(Dictionary<string, string[]> errors) => new(ErrorKind.Invalid, "The request is not valid",
        string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")), errors);

    public static OperationError Invalid(string field, string message) => Invalid(new() { [field] = [message] });

    public static OperationError RunNotFound(string runId) =>
        new(ErrorKind.NotFound, "Run not found", $"Run '{runId}' does not exist (or belongs to another tenant).");

    public static OperationError RunGone(string runId) =>
        new(ErrorKind.Gone, "Run gone", $"Run '{runId}' has been removed by retention; its data is gone.");

    public static OperationError Conflict(string message) => new(ErrorKind.Conflict, "Conflict", message);

    public static OperationError Unavailable(string message) => new(ErrorKind.Unavailable, "Service unavailable", message);
}

/// <summary>An operation's answer: a value, or the error that refused it.</summary>
public readonly record struct Outcome<T>(T? Value, OperationError? Error)
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(OperationError error) => new(default, error);
}
