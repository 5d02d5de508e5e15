using System.Globalization;
using Nerdbank.MessagePack;

namespace Gateway.Registry;

/// <summary>
/// How a run is stored: one field of its shard's hash <c>gw:{NN}:runs</c>, named by the run id, whose value is
/// <see cref="Fields"/> as MessagePack values in this order (nil where a field is absent, none after the last
/// present), with every time but <c>created</c> stored as an offset from it. One key per shard instead of one hash per run: the key, its TTL entry
/// and the field names were about 240 of a run's bytes (docs/benchmarks.md, "Where the memory goes").
/// The scripts answer a run with its record encoded so too (<see cref="Read"/> decodes it); this order is generated into
/// them as <c>RUN_FIELDS</c>, the times as <c>RUN_TIMES</c>, and the coded fields as <c>RUN_CODES</c>.
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

    /// <summary>A run from its record as the scripts encode it (prelude.lua's <c>encode</c>): a MessagePack value per
    /// field in <see cref="Fields"/>' order, nil where absent; a coded value is its place in its list, or the value
    /// itself if not listed.</summary>
    public static RunRecord Read(string runId, ReadOnlyMemory<byte> packed)
    {
        var reader = new MessagePackReader(packed);
        var values = new object?[Fields.Count];
        for (var i = 0; i < values.Length && !reader.End; i++)
        {
            if (reader.TryReadNil()) continue;
            values[i] = reader.NextMessagePackType switch
            {
                MessagePackType.Integer => reader.ReadInt64(),
                MessagePackType.Float => (long)reader.ReadDouble(), // (a Lua number MessagePack'd as a double)
                _ => reader.ReadString(),
            };
        }
        var created = (long)values[Created]!;
        DateTimeOffset? Time(int field) => values[field] is long offset
            ? DateTimeOffset.FromUnixTimeMilliseconds(field == Created ? offset : created + offset)
            : null;
        string? Text(int field) => values[field] switch
        {
            null => null,
            long code when Codes[field] is { } names => names[(int)code - 1],
            var value => Convert.ToString(value, CultureInfo.InvariantCulture),
        };
        var status = Enum.Parse<RunStatus>(Text(Status)!, ignoreCase: true);
        // a final run keeps its last 'active' time (finalize does not spend a write on it), but its context ended
        // with it: no last activity
        var live = status is RunStatus.Pending or RunStatus.Running;
        return new RunRecord(runId, Text(Tenant)!, Text(Session)!, Text(Child), Text(TaskField)!, Text(Label),
            Enum.Parse<SpawnMode>(Text(Mode)!, ignoreCase: true), Enum.Parse<CleanupMode>(Text(Cleanup)!, ignoreCase: true),
            status, Time(Created)!.Value, Time(Started), Time(Ended), Text(Reason), Text(Error),
            long.Parse(Text(Seq) ?? "0", CultureInfo.InvariantCulture), live ? Time(Active) : null, Time(TimeoutAt)!.Value,
            values[PerrAt] is not null);
    }

    private static readonly int Created = Place("created"), Tenant = Place("tenant"), Session = Place("session"),
        Child = Place("child"), TaskField = Place("task"), Label = Place("label"), Mode = Place("mode"), Cleanup = Place("cleanup"),
        Status = Place("status"), Seq = Place("seq"), Active = Place("active"), TimeoutAt = Place("timeout_at"),
        Started = Place("started"), Ended = Place("ended"), Reason = Place("reason"), Error = Place("error"), PerrAt = Place("perr_at");

    /// <summary>Each field's list of coded values by its place (null: not coded).</summary>
    private static readonly IReadOnlyList<string>?[] Codes = [.. Fields.Select(f => Coded.GetValueOrDefault(f))];

    private static int Place(string field) => Fields.ToList().IndexOf(field);

    /// <summary>A coded field's value as a digit (a completion's log entry holds it so) or as it is.</summary>
    public static string NameOf(string field, string stored) =>
        stored is [>= '1' and <= '9' and var code] ? Coded[field][code - '1'] : stored;
}
