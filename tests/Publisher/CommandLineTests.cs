using Davecast.Publisher;
using Davecast.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Davecast.Tests.Publisher;

public sealed class CommandLineTests
{
    private static readonly string File = Repo.Fixture("programme.aac");

    public static TheoryData<string, string[]> BadOptions => new()
    {
        { "--frames-per-packet", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--frames-per-packet", "0"] },
        { "--frames-per-packet", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--frames-per-packet", "33"] },
        { "--relay", ["--mount", "m", "--relay", "127.0.0.1", "--file", File] },
        { "--relay", ["--mount", "m", "--relay", "relay:99999", "--file", File] },
        { "--relay", ["--mount", "m", "--file", File] },
        { "--mount", ["--relay", "127.0.0.1:9", "--file", File] },
        { "--mount", ["--mount", "a b", "--relay", "127.0.0.1:9", "--file", File] },
        { "--priority", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--priority", "256"] },
        { "--transport", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--transport", "sctp"] },
        { "--codec", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--codec", "ogg"] },
        { "--max-datagram", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--max-datagram", "64"] },
        { "--file", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", "/no/such/file.aac"] },
        { "--stdin", ["--mount", "m", "--relay", "127.0.0.1:9"] },
        { "--stdin", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--stdin"] },
        { "--loop", ["--mount", "m", "--relay", "127.0.0.1:9", "--stdin", "--loop"] },
        { "--encoder", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--encoder", new string('e', 65)] },
        { "--stats-interval", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--stats-interval", "-1"] },
        { "--multicast", ["--mount", "m", "--multicast", "127.0.0.1:9002", "--file", File] },
        { "--multicast", ["--mount", "m", "--multicast", "239.1.2.3", "--file", File] },
        { "--multicast-interface", ["--mount", "m", "--multicast", "239.1.2.3:9002", "--multicast-interface", "192.0.2.77", "--file", File] },
        { "--multicast-interface", ["--mount", "m", "--multicast", "239.1.2.3:9002", "--multicast-interface", "lo", "--file", File] },
        { "--multicast-ttl", ["--mount", "m", "--multicast", "239.1.2.3:9002", "--multicast-ttl", "256", "--file", File] },
        { "--start-at", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--start-at", "tomorrow"] },
        { "--start-at", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--start-at", $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3700}"] },
        { "--start-at", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--start-at", DateTimeOffset.UtcNow.AddHours(-2).ToString("yyyy-MM-ddTHH:mm:ssZ")] },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task A_bad_option_stops_the_program_with_a_message_naming_it(string option, string[] args)
    {
        var (code, _, error) = await RunAsync(args);
        Assert.NotEqual(0, code);
        Assert.Contains(option, error);
    }

    [Fact]
    public async Task Help_lists_every_option_with_its_default()
    {
        var (code, output, _) = await RunAsync(["--help"]);
        Assert.Equal(0, code);
        foreach (var option in new[]
        {
            "--mount", "--encoder", "--relay", "--transport", "--file", "--loop", "--stdin", "--codec", "--priority", "--key-id",
            "--key", "--frames-per-packet", "--max-datagram", "--name", "--genre", "--description", "--url", "--public", "--title",
            "--stats-interval", "--multicast", "--multicast-interface", "--multicast-ttl", "--start-at",
        })
        {
            Assert.Contains(option, output);
        }
        Assert.Contains("[default: both]", output);
        Assert.Contains("[default: 1400]", output);
        Assert.Contains("[default: 127.0.0.1]", output);
        Assert.Contains("HIGHEST", output);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await PublisherApp.RunAsync(args, NullLoggerFactory.Instance, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
