using Davecast.Tests.Support;

namespace Davecast.Tests.Operations;

/// <summary>A relay's log at start: workstation GC, chosen on purpose (ServerRuntime.props), draws no warning.</summary>
[Collection(ProcessCollection.Name)]
public sealed class RelayLogTests
{
    [Fact]
    public async Task A_relay_starts_on_workstation_GC_without_the_server_GC_warning()
    {
        int silo = Ports.Free();
        using var relay = new ChildProcess("relay", "dotnet",
            [Repo.ProgramDll("silo", "davecast-silo"), "--silo-port", silo.ToString(), "--gateway-port", Ports.Free().ToString(),
             "--primary-silo", $"127.0.0.1:{silo}", "--dashboard-port", "0", "--ingest-port", "0", "--feed-port", "0"],
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });

        // Orleans notes the GC when the silo is made, before it starts.
        await relay.WaitForOutputAsync("Started silo", TimeSpan.FromSeconds(60));

        Assert.Contains("ServerGC=False", relay.Output);
        Assert.DoesNotContain("Silo not running with ServerGC", relay.Output);
        Assert.DoesNotContain("ServerGC only kicks in", relay.Output);
    }
}
