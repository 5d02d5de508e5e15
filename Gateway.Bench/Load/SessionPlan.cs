namespace Gateway.Bench.Load;

/// <summary>How a session of the seed-shaped workload ends.</summary>
public enum SessionEnding { Completed, Error, Never, Aborted }

/// <summary>
/// Session i of the workload: ticket i/2 spawns two sessions (spawnMode session) under one requester session;
/// each session starts, emits three agent events and then, out of every 20: 15 end, 2 end with an error
/// and no end event, 2 never end, 1 is aborted.
/// </summary>
public readonly record struct SessionPlan(long Index)
{
    public const int AgentEvents = 3;

    public string Ticket => $"ticket-{Index / 2}";

    public string Child => $"ticket-{Index / 2}-s{Index % 2}";

    public SessionEnding Ending => (Index % 20) switch
    {
        0 or 7 => SessionEnding.Error,
        3 or 12 => SessionEnding.Never,
        16 => SessionEnding.Aborted,
        _ => SessionEnding.Completed,
    };
}
