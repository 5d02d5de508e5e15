namespace Gateway.Registry;

/// <summary>
/// How a run is stored: one field of its shard's hash <c>gw:{NN}:runs</c>, named by the run id, whose value is
/// <see cref="Fields"/> as MessagePack values in this order (nil where a field is absent, none after the last
/// present), with every time but <c>created</c> stored as an offset from it. One key per shard instead of one hash per run: the key, its TTL entry
/// and the field names were about 240 of a run's bytes (docs/benchmarks.md, "Where the memory goes").
/// The scripts answer a run as its fields and values by name (<see cref="RunRegistry"/> parses them); this order is
/// generated into them as <c>RUN_FIELDS</c>, the times as <c>RUN_TIMES</c>, and the coded fields as <c>RUN_CODES</c>.
/// </summary>
public static class RunRecordLayout
{
    /// <summary>The shard's hash of run records (<c>gw:{NN}:runs</c>), generated into the scripts as <c>RUN_KEY</c>.</summary>
    public const string Key = "runs";

    public static readonly IReadOnlyList<string> Fields =
    [
        "created", "tenant", "session", "child", "task", "label", "mode", "cleanup", "status", "seq", "active",
        "timeout_at", "started", "ended", "reason", "error", "perr_at", "perr_first", "dedupe", "rcp",
    ];

    /// <summary>Times in ms on the caller's clock (MessagePack integers, not digit strings).</summary>
    public static readonly IReadOnlyList<string> Times = ["created", "active", "timeout_at", "started", "ended", "perr_at", "perr_first"];

    /// <summary>
    /// The fields whose values come from a short list, stored as their place in it (1 for the first): one byte
    /// where "session", "keep", "ok" and "completed" took 26 (docs/benchmarks.md, "Where the memory goes"). A
    /// completion's entry in the session's log codes its status and reason the same way, as digits. A value not
    /// listed is stored as it is. Append only: a stored code means the value at its place.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Coded = new Dictionary<string, IReadOnlyList<string>>
    {
        ["mode"] = ["run", "session"],
        ["cleanup"] = ["delete", "keep"],
        ["status"] = ["pending", "running", "ok", "error", "timeout", "aborted"],
        ["reason"] = ["completed", "error", "aborted", "run-timeout", "idle"],
    };

    /// <summary>A coded field's value as a digit (a completion's log entry holds it so) or as it is.</summary>
    public static string NameOf(string field, string stored) =>
        stored is [>= '1' and <= '9' and var code] ? Coded[field][code - '1'] : stored;
}
