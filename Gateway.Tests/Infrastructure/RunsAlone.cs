namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Tests that saturate both cores (the benchmark run, the 2,000-session batch, the AppHost's real processes) run
/// alone, after the parallel tests, so that load they create does not fire other tests' Redis timeouts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone (heavy load)";
}
