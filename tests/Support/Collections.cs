namespace Davecast.Tests.Support;

/// <summary>Tests that start real processes run one at a time: the machine has two cores.</summary>
[CollectionDefinition("processes", DisableParallelization = true)]
public sealed class ProcessCollection;
