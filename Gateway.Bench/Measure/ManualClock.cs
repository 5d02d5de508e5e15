namespace Gateway.Bench.Measure;

/// <summary>The system clock moved forward on demand, so that a large batch of registry deadlines comes due at once.</summary>
public sealed class ManualClock : TimeProvider
{
    private TimeSpan offset;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;

    public void Advance(TimeSpan by) => offset += by;
}
