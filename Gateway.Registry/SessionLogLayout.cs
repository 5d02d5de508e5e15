namespace Gateway.Registry;

/// <summary>
/// How a session's log stores an entry: "run seq kind data" (prelude.lua's <c>append</c>; the log itself is
/// described there). The kinds nearly every entry has are stored as one digit, their place in <see cref="Kinds"/>,
/// generated into the scripts as <c>LOG_KINDS</c>: a seed lifecycle's six entries spelled them in 39 bytes, a fifth
/// of its log (docs/benchmarks.md, "Where the memory goes"). Any other kind is stored as it is; the API accepts
/// only kinds that start with a letter, so no kind reads as a code.
/// </summary>
public static class SessionLogLayout
{
    /// <summary>The kind of a run's completion entry, whose data is "status reason error" (status and reason coded
    /// as in the run's record, <see cref="RunRecordLayout.Coded"/>).</summary>
    public const string Completion = "completion";

    public static readonly IReadOnlyList<string> Kinds = [Completion, RunEvent.Start, RunEvent.End, RunEvent.Error, "assistant", "tool"];

    /// <summary>An entry as the event or completion it records; id: the entry's id ("base-number").</summary>
    public static SessionEvent Parse(string id, string entry)
    {
        var parts = entry.Split(' ', 4);
        var (run, seq, kind, data) = (parts[0], parts[1], KindOf(parts[2]), parts.Length > 3 ? parts[3] : "");
        if (kind != Completion)
        {
            return new SessionEvent(id, "event", run, new Dictionary<string, string> { ["run"] = run, ["seq"] = seq, ["kind"] = kind, ["data"] = data });
        }
        // the error is free text and may hold spaces
        var outcome = data.Split(' ', 3);
        var fields = new Dictionary<string, string>
        {
            ["run"] = run,
            ["status"] = RunRecordLayout.NameOf("status", outcome[0]),
            ["reason"] = RunRecordLayout.NameOf("reason", outcome[1]),
            ["error"] = outcome.Length > 2 ? outcome[2] : "",
        };
        return new SessionEvent(id, Completion, run, fields);
    }

    private static string KindOf(string stored) => stored is [>= '0' and <= '9' and var code] ? Kinds[code - '0'] : stored;
}
