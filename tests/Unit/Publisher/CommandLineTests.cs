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
        { "--stats-interval", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--stats-interval", "often"] },
        { "--multicast", ["--mount", "m", "--multicast", "127.0.0.1:9002", "--file", File] },
        { "--multicast", ["--mount", "m", "--multicast", "239.1.2.3", "--file", File] },
        { "--multicast-interface", ["--mount", "m", "--multicast", "239.1.2.3:9002", "--multicast-interface", "192.0.2.77", "--file", File] },
        { "--multicast-interface", ["--mount", "m", "--multicast", "239.1.2.3:9002", "--multicast-interface", "lo", "--file", File] },
        { "--multicast-ttl", ["--mount", "m", "--multicast", "239.1.2.3:9002", "--multicast-ttl", "256", "--file", File] },
        { "--start-at", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--start-at", "tomorrow"] },
        { "--start-at", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--start-at", $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3700}"] },
        { "--start-at", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--start-at", DateTimeOffset.UtcNow.AddHours(-2).ToString("yyyy-MM-ddTHH:mm:ssZ")] },
        { "--source-url", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "ftp://host/live"] },
        { "--source-url", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "live.mp3"] },
        { "--source-url", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "http://host/live", "--file", File] },
        { "--source-url", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "http://host/live", "--listen-source", "127.0.0.1:8001"] },
        { "--reconnect-max", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "http://host/live", "--reconnect-max", "0.1"] },
        { "--reconnect-max", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "http://host/live", "--reconnect-max", "soon"] },
        { "--reconnect-max", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--reconnect-max", "5"] },
        { "--loop", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "http://host/live", "--loop"] },
        { "--start-at", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "http://host/live", "--start-at", $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60}"] },
        { "--listen-source", ["--mount", "m", "--relay", "127.0.0.1:9", "--listen-source", "127.0.0.1"] },
        { "--listen-source", ["--mount", "m", "--relay", "127.0.0.1:9", "--listen-source", "studio.lan:8001"] },
        { "--listen-source", ["--mount", "m", "--relay", "127.0.0.1:9", "--listen-source", "127.0.0.1:70000"] },
        { "--source-user", ["--mount", "m", "--relay", "127.0.0.1:9", "--listen-source", "127.0.0.1:8001", "--source-user", "a:b"] },
        { "--source-password", ["--mount", "m", "--relay", "127.0.0.1:9", "--listen-source", "127.0.0.1:8001", "--source-password", ""] },
        { "--source-password", ["--mount", "m", "--relay", "127.0.0.1:9", "--file", File, "--source-password", "secret"] },
        { "--admin-password", ["--mount", "m", "--relay", "127.0.0.1:9", "--stdin", "--admin-password", "secret"] },
        { "--metrics-listen", ["--mount", "m", "--relay", "127.0.0.1:9", "--stdin", "--metrics-listen", "metrics.lan:9101"] },
        { "--metrics-listen", ["--mount", "m", "--relay", "127.0.0.1:9", "--stdin", "--metrics-listen", "70000"] },
        { "--metrics-listen", ["--mount", "m", "--relay", "127.0.0.1:9", "--stdin", "--metrics-listen", ""] },
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
            "--stats-interval", "--multicast", "--multicast-interface", "--multicast-ttl", "--start-at", "--source-url", "--reconnect-max",
            "--listen-source", "--source-user", "--source-password", "--admin-user", "--admin-password", "--metrics-listen",
        })
        {
            Assert.Contains(option, output);
        }
        Assert.Contains("[default: both]", output);
        Assert.Contains("[default: 1400]", output);
        Assert.Contains("[default: 127.0.0.1]", output);
        Assert.Contains("HIGHEST", output);
        Assert.Contains("[default: source]", output);
        Assert.Contains("[default: hackme]", output);
        Assert.Contains("[default: admin]", output);
    }

    [Fact]
    public void A_source_url_and_its_reconnection_wait_become_options()
    {
        var options = Parse("--mount", "/live.mp3", "--relay", "127.0.0.1:9", "--source-url", "http://dj:pw@icecast.lan:8000/live.mp3", "--genre", "Jazz");
        Assert.Equal(new Uri("http://dj:pw@icecast.lan:8000/live.mp3"), options.SourceUrl);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ReconnectMax);
        Assert.Null(options.File);
        Assert.Null(options.ListenSource);
        // Only what was given: the upstream's headers fill in the rest.
        Assert.Equal([new("icy-genre", "Jazz")], options.IcyHeaders.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(2.5), Parse("--mount", "m", "--relay", "127.0.0.1:9", "--source-url", "https://h/m", "--reconnect-max", "2.5").ReconnectMax);
    }

    [Fact]
    public void A_source_port_and_its_logins_become_options()
    {
        var options = Parse("--mount", "live.aac", "--relay", "127.0.0.1:9", "--listen-source", "0.0.0.0:8001");
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 8001), options.ListenSource);
        Assert.Equal(new Credentials("source", "hackme"), options.SourceLogin);
        Assert.Null(options.AdminLogin);
        options = Parse("--mount", "live.aac", "--relay", "127.0.0.1:9", "--listen-source", "[::1]:8001", "--source-user", "enc", "--source-password", "pw",
            "--admin-password", "s3cr3t", "--public", "false");
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 8001), options.ListenSource);
        Assert.Equal((new Credentials("enc", "pw"), new Credentials("admin", "s3cr3t")), (options.SourceLogin, options.AdminLogin));
        Assert.Equal([new("icy-pub", "0")], options.IcyHeaders.ToArray());
        Assert.DoesNotContain("s3cr3t", options.AdminLogin!.ToString());
    }

    [Fact]
    public void Metrics_listen_on_loopback_for_a_port_alone_and_nowhere_unless_given()
    {
        Assert.Null(Parse("--mount", "m", "--relay", "127.0.0.1:9", "--stdin").MetricsListen);
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9101), Parse("--mount", "m", "--relay", "127.0.0.1:9", "--stdin", "--metrics-listen", "9101").MetricsListen);
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.1.0.5"), 9101),
            Parse("--mount", "m", "--relay", "127.0.0.1:9", "--stdin", "--metrics-listen", "10.1.0.5:9101").MetricsListen);
    }

    [Fact]
    public async Task A_source_port_in_use_stops_the_program_with_a_message()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var logging = new TestLogging(new NullOutput());
        using var factory = logging.Factory();
        var error = new StringWriter();
        int code = await PublisherApp.RunAsync(
            ["--mount", "m", "--relay", "127.0.0.1:9", "--listen-source", taken.LocalEndpoint.ToString()!], factory, new StringWriter(), error, "Development", CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Equal($"Cannot listen on {taken.LocalEndpoint} (TCP, --listen-source): Address already in use", error.ToString().Trim());
    }

    private static PublisherOptions Parse(params string[] args)
    {
        var command = new Davecast.Publisher.Cli.PublisherCommand();
        var result = command.Root.Parse(args);
        Assert.Empty(result.Errors);
        return command.ToOptions(result);
    }

    private sealed class NullOutput : Xunit.Abstractions.ITestOutputHelper
    {
        public void WriteLine(string message)
        {
        }

        public void WriteLine(string format, params object[] args)
        {
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await PublisherApp.RunAsync(args, NullLoggerFactory.Instance, output, error, "Development", CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
