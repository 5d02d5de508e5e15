namespace Gateway.Registry;

/// <summary>The registries' names (the <c>gateway.registry</c> metric attribute) and eviction reasons.</summary>
public static class Registries
{
    public const string Runs = "runs";
    public const string RunContexts = "run_contexts";
    public const string PendingErrors = "pending_errors";
    public const string AbortedRuns = "aborted_runs";
    public const string ToolRecipients = "tool_recipients";
    public const string DedupeKeys = "dedupe_keys";
    public const string SessionLogs = "session_logs";
    public const string Tombstones = "tombstones";

    public static readonly IReadOnlyList<string> All =
        [Runs, RunContexts, PendingErrors, AbortedRuns, ToolRecipients, DedupeKeys, SessionLogs, Tombstones];

    /// <summary>Eviction reasons: past its deadline, pushed out at a cap, removed with its owner, or a live
    /// run finalized because its end never came.</summary>
    public static readonly IReadOnlyList<string> Reasons = ["ttl", "cap", "cascade", "finalized"];

    /// <summary>The deadline indexes (sorted sets <c>gw:{NN}:idx:name</c>; <c>done</c> and <c>gone</c> kept in windows of one
    /// second, <c>idx:name:&lt;w&gt;</c>, that <c>idx:name</c> lists: prelude.lua) behind the registries: the one statement of
    /// the list, generated into the scripts as <c>INDEXES</c> (snapshot.lua reports them in this order).</summary>
    public static readonly IReadOnlyList<string> Indexes = ["perr", "live", "done", "abrt", "rcp", "ddp", "ses", "gone"];

    internal static readonly IReadOnlyDictionary<string, string[]> IndexesOf = new Dictionary<string, string[]>
    {
        [Runs] = ["live", "done"],
        [RunContexts] = ["live"],
        [PendingErrors] = ["perr"],
        [AbortedRuns] = ["abrt"],
        [ToolRecipients] = ["rcp"],
        [DedupeKeys] = ["ddp"],
        [SessionLogs] = ["ses"],
        [Tombstones] = ["gone"],
    };
}
