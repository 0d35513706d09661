using System.Runtime.InteropServices;
using Davecast.Cli;

namespace Davecast.Tests.Runtime;

public sealed class MallocMmapThresholdTests
{
    [Fact]
    public void The_threshold_reaches_glibc_on_linux_and_nothing_elsewhere()
    {
        // A misspelt library or entry point would fail quietly in the programs; here it fails the test.
        bool glibc = OperatingSystem.IsLinux() && !RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);
        bool operatorSet = Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null;
        Assert.Equal(glibc && !operatorSet, MallocMmapThreshold.Fix());
    }
}
