namespace Davecast.Tests.Support;

/// <summary>
/// Tests that start real processes run one at a time within each of two collections, and the two side by side: most
/// of their time is audio played in real time, so two at once fit the machine's two cores and halve the suite's time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}

/// <summary>The failover scenarios and the mount's life through faults: the longest process tests, beside <see cref="ProcessCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection
{
    public const string Name = "faults";
}
