namespace Gateway.Registry;

/// <summary>
/// How a run is stored: one field of its shard's hash <c>gw:{NN}:runs</c>, named by the run id, whose value is
/// <see cref="Fields"/> as MessagePack values in this order (nil where a field is absent, none after the last
/// present), with every time but <c>created</c> stored as an offset from it. One key per shard instead of one hash per run: the key, its TTL entry
/// and the field names were about 240 of a run's bytes (docs/benchmarks.md, "Where the memory goes").
/// The scripts answer a run as its fields and values by name (<see cref="RunRegistry"/> parses them); this order is
/// generated into them as <c>RUN_FIELDS</c>, and the times as <c>RUN_TIMES</c>.
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
}
