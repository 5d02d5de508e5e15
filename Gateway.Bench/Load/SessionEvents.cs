using System.Text;

namespace Gateway.Bench.Load;

/// <summary>The events a session of <see cref="SessionPlan"/> sends, as UTF-8 JSON bodies encoded once for every protocol.</summary>
public static class SessionEvents
{
    public static readonly byte[] Start = Body("""{"seq":1,"stream":"lifecycle","phase":"start"}""");
    public static readonly byte[] ErrorEnd = Body($$"""{"seq":{{SessionPlan.AgentEvents + 2}},"stream":"lifecycle","phase":"error","error":"model overloaded"}""");
    public static readonly byte[] End = Body($$"""{"seq":{{SessionPlan.AgentEvents + 2}},"stream":"lifecycle","phase":"end"}""");
    public static readonly byte[][] AgentEvents = Enumerable.Range(2, SessionPlan.AgentEvents)
        .Select(seq => Body($$$"""{"seq":{{{seq}}},"stream":"assistant","data":{"text":"partial answer {{{seq}}}"}}""")).ToArray();

    private static readonly byte[][] Completed = [Start, .. AgentEvents, End];
    private static readonly byte[][] Errored = [Start, .. AgentEvents, ErrorEnd];
    private static readonly byte[][] Open = [Start, .. AgentEvents];

    /// <summary>Every event of the session in order: start, the agent events, then end or error if it ends by an event.</summary>
    public static byte[][] Of(SessionPlan plan) => plan.Ending switch
    {
        SessionEnding.Completed => Completed,
        SessionEnding.Error => Errored,
        _ => Open,
    };

    public static byte[] Body(string json) => Encoding.UTF8.GetBytes(json);
}
