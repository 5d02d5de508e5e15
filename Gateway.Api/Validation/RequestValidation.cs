using System.Text.RegularExpressions;
using Gateway.Api.Contracts;
using Gateway.Registry;

namespace Gateway.Api.Validation;

/// <summary>Every limit a request must respect, checked before anything reaches Redis. Each method returns
/// the problems by field name (empty = valid), so a 400 names every field that was wrong and why.</summary>
public static partial class RequestValidation
{
    public const int MaxKeyLength = 200, MaxTaskLength = 16_000, MaxLabelLength = 200, MaxErrorLength = 4_000,
        MaxDataLength = 32_000, MaxStreamLength = 32, MaxRecipientsPerRequest = 100;

    // The Lua scripts hold sequence numbers as doubles: beyond 2^53 they would lose precision.
    public const long MaxSeq = 1L << 53;

    public const string KeyRule = "letters, digits and . _ : @ - only (no '/'), 1 to 200 characters";

    [GeneratedRegex("^[A-Za-z0-9._:@-]{1,200}$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("^[a-z][a-z0-9_.-]{0,31}$")]
    private static partial Regex StreamPattern();

    [GeneratedRegex("^[0-9]{1,20}-[0-9]{1,20}$")]
    private static partial Regex EntryIdPattern();

    public static bool IsValidKey(string? key) => key is not null && KeyPattern().IsMatch(key);

    public static bool IsRunId(string runId) => Shard.IsWellFormed(runId);

    /// <summary>An entry id of a session's log ("base-number"), as sent in SSE <c>id:</c> lines.</summary>
    public static bool IsEventId(string id) => EntryIdPattern().IsMatch(id);

    /// <param name="maxRunLifetime">Registry:MaxRunLifetime: no run lives longer, so no timeout may ask for more.</param>
    public static Dictionary<string, string[]> Check(SpawnRunRequest r, TimeSpan maxRunLifetime)
    {
        var errors = new Errors();
        errors.Key("requesterSessionKey", r.RequesterSessionKey, required: true);
        errors.Key("childSessionKey", r.ChildSessionKey, required: false);
        errors.Key("idempotencyKey", r.IdempotencyKey, required: false);
        errors.Text("task", r.Task, MaxTaskLength, required: true);
        errors.Text("label", r.Label, MaxLabelLength, required: false);
        var maxTimeout = (long)maxRunLifetime.TotalSeconds;
        if (r.RunTimeoutSeconds < 0 || r.RunTimeoutSeconds > maxTimeout)
        {
            errors.Add("runTimeoutSeconds", $"must be between 0 (no timeout) and {maxTimeout}, the longest a run may live (Registry:MaxRunLifetime).");
        }
        return errors.ByField;
    }

    public static Dictionary<string, string[]> Check(RunEventRequest r)
    {
        var errors = new Errors();
        if (r.Seq is null) errors.Add("seq", "is required.");
        else if (r.Seq is < 1 or > MaxSeq) errors.Add("seq", $"must be between 1 and {MaxSeq}.");

        if (string.IsNullOrEmpty(r.Stream)) errors.Add("stream", "is required.");
        else if (r.Stream == RunEventRequest.Lifecycle)
        {
            if (r.Phase is null) errors.Add("phase", "is required for stream 'lifecycle' (start, end or error).");
            errors.Text("error", r.Error, MaxErrorLength, required: false);
            if (r.Error is not null && r.Phase != LifecyclePhase.Error) errors.Add("error", "is only allowed with phase 'error'.");
            if (r.Aborted is not null && r.Phase != LifecyclePhase.End) errors.Add("aborted", "is only allowed with phase 'end'.");
            if (r.Data is not null) errors.Add("data", "is not allowed on stream 'lifecycle'; use 'error' for an error message.");
        }
        else
        {
            if (!StreamPattern().IsMatch(r.Stream) || r.Stream is RunEvent.Start or RunEvent.End or RunEvent.Error)
            {
                errors.Add("stream", $"must be 'lifecycle' or an agent stream name ([a-z][a-z0-9_.-], at most {MaxStreamLength} characters, not start/end/error).");
            }
            if (r.Phase is not null || r.Aborted is not null || r.Error is not null)
            {
                errors.Add("phase", "phase, aborted and error belong to stream 'lifecycle' only.");
            }
            if (r.Data is { } data && data.GetRawText().Length > MaxDataLength)
            {
                errors.Add("data", $"is longer than {MaxDataLength} characters of JSON.");
            }
        }
        return errors.ByField;
    }

    public static Dictionary<string, string[]> Check(RecipientsRequest r)
    {
        var errors = new Errors();
        var add = r.Add ?? [];
        var remove = r.Remove ?? [];
        if (add.Count + remove.Count == 0) errors.Add("add", "add or remove must name at least one connection id.");
        if (add.Count + remove.Count > MaxRecipientsPerRequest) errors.Add("add", $"at most {MaxRecipientsPerRequest} connection ids per request.");
        if (add.Any(id => !IsValidKey(id))) errors.Add("add", $"every connection id must be {KeyRule}.");
        if (remove.Any(id => !IsValidKey(id))) errors.Add("remove", $"every connection id must be {KeyRule}.");
        return errors.ByField;
    }

    private sealed class Errors
    {
        public Dictionary<string, string[]> ByField { get; } = [];

        public void Add(string field, string message) =>
            ByField[field] = [.. ByField.GetValueOrDefault(field) ?? [], message];

        public void Key(string field, string? value, bool required)
        {
            if (value is null) { if (required) Add(field, "is required."); }
            else if (!IsValidKey(value)) Add(field, $"must be {KeyRule}.");
        }

        public void Text(string field, string? value, int max, bool required)
        {
            if (string.IsNullOrWhiteSpace(value)) { if (required || value is not null) Add(field, required ? "is required." : "must not be empty."); }
            else if (value.Length > max) Add(field, $"is {value.Length} characters; at most {max} are allowed.");
        }
    }
}
