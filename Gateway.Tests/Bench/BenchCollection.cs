namespace Gateway.Tests.Bench;

/// <summary>
/// The benchmark run saturates both cores for most of a minute (three processes and the load): run alone, after
/// the parallel tests, so that their Redis timeouts do not fire because of it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchCollection
{
    public const string Name = "Benchmark (runs alone)";
}
