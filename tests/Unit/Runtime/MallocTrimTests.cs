using System.Runtime.InteropServices;
using Davecast.Cli;

namespace Davecast.Tests.Runtime;

public sealed class MallocTrimTests
{
    [Fact]
    public void The_trim_reaches_glibc_on_linux_and_nothing_elsewhere()
    {
        // A misspelt library or entry point would fail quietly in the programs; here it fails the test.
        bool glibc = OperatingSystem.IsLinux() && !RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);
        Assert.Equal(glibc, MallocTrim.TrimNow());
    }
}
