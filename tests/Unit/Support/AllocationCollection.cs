namespace Davecast.Tests.Support;

/// <summary>
/// Tests that count the allocations of the whole process (work that runs on pool threads) run alone, so that other
/// tests' allocations are not counted.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "allocation";
}
