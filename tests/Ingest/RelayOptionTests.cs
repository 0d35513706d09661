using Davecast.Tests.Support;

namespace Davecast.Tests.Ingest;

/// <summary>The relay's multicast options: a bad value stops it with a message naming the option.</summary>
[Collection(ProcessCollection.Name)]
public sealed class RelayOptionTests
{
    [Theory]
    [InlineData("--multicast", new[] { "--multicast", "10.0.0.1:9002" })]
    [InlineData("--multicast", new[] { "--multicast", "239.1.2.3" })]
    [InlineData("--multicast-interface", new[] { "--multicast", "239.1.2.3:9002", "--multicast-interface", "192.0.2.77" })]
    [InlineData("--multicast-interface", new[] { "--multicast", "239.1.2.3:9002", "--multicast-interface", "eth0" })]
    public async Task A_bad_multicast_option_stops_the_relay_with_a_message_naming_it(string option, string[] args)
    {
        using var relay = ChildProcess.Dotnet("relay", Repo.ProgramDll("silo", "davecast-silo"), [.. args, "--dashboard-port", "0"]);
        int code = await relay.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, code);
        Assert.Contains(option + ":", relay.Output);
    }

    [Fact]
    public async Task Help_documents_the_multicast_options()
    {
        using var relay = ChildProcess.Dotnet("relay", Repo.ProgramDll("silo", "davecast-silo"), "--help");
        Assert.Equal(0, await relay.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--multicast ", relay.Output);
        Assert.Contains("--multicast-interface", relay.Output);
        Assert.Contains("[default: 127.0.0.1]", relay.Output);
    }
}
