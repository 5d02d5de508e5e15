namespace Gateway.Registry;

/// <summary>
/// The absolute time by which a registry entry must be gone. Only <see cref="RetentionPolicy"/> makes one,
/// and every registry write takes one (or the policy itself): there is no way to store an entry without.
/// </summary>
public sealed record Deadline
{
    internal Deadline(DateTimeOffset at) => At = at;

    public DateTimeOffset At { get; }

    internal long Milliseconds => At.ToUnixTimeMilliseconds();
}
