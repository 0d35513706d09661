using System.Net;
using System.Net.Sockets;
using Davecast.Tests.Support;

namespace Davecast.Tests.Cli;

/// <summary>
/// Every port every program binds, taken by the test first: the program exits with 1 and one line on stderr that
/// names the address, the port and the option that sets it, with no stack trace on either stream.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class PortInUseTests
{
    public static TheoryData<string, string, ProtocolType> PortOptions => new()
    {
        { "relay", "--silo-port", ProtocolType.Tcp },
        { "relay", "--gateway-port", ProtocolType.Tcp },
        { "relay", "--dashboard-port", ProtocolType.Tcp },
        { "relay", "--ingest-port", ProtocolType.Tcp },
        { "relay", "--ingest-port", ProtocolType.Udp },
        { "relay", "--feed-port", ProtocolType.Tcp },
        { "relay", "--multicast", ProtocolType.Udp },
        { "edge", "--port", ProtocolType.Tcp },
        { "publisher", "--listen-source", ProtocolType.Tcp },
        { "publisher", "--metrics-listen", ProtocolType.Tcp },
    };

    [Theory]
    [MemberData(nameof(PortOptions))]
    public async Task A_port_in_use_stops_the_program_with_one_line_naming_the_port_and_its_option(string program, string option, ProtocolType protocol)
    {
        // The dashboard and multicast groups bind every address; the rest bind loopback here.
        var address = option is "--dashboard-port" or "--multicast" ? IPAddress.Any : IPAddress.Loopback;
        using var taken = Take(new IPEndPoint(address, Ports.Free()), protocol);
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        using var child = new ChildProcess(program, "dotnet", Arguments(program, option, port),
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });
        int code = await child.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(code == 1, $"{program} exited with {code}:\n{child.Output}");
        var shown = option == "--multicast" ? $"{Group}:{port}" : $"{address}:{port}";
        var expected = $"Cannot listen on {shown} ({protocol.ToString().ToUpperInvariant()}, {option}): Address already in use";
        Assert.True(expected == child.ErrorOutput.Trim(), $"stderr is not \"{expected}\":\n{child.Output}");
        Assert.DoesNotContain("   at ", child.Output);
    }

    private const string Group = "239.255.91.1";

    private static string[] Arguments(string program, string option, int port)
    {
        switch (program)
        {
            case "relay":
            {
                var args = new Dictionary<string, string>
                {
                    ["--silo-port"] = Free(), ["--gateway-port"] = Free(), ["--dashboard-port"] = "0", ["--ingest-port"] = "0",
                    ["--feed-port"] = "0", ["--ingest-address"] = "127.0.0.1",
                };
                if (option == "--multicast") args[option] = $"{Group}:{port}";
                else args[option] = port.ToString();
                args["--primary-silo"] = "127.0.0.1:" + args["--silo-port"];
                return [Repo.ProgramDll("silo", "davecast-silo"), .. args.SelectMany(a => new[] { a.Key, a.Value })];
            }
            case "edge":
                return [Repo.ProgramDll("edge-gateway", "davecast-edge"), "--address", "127.0.0.1", "--port", port.ToString(), "--gateway", "127.0.0.1:" + Free()];
            default:
                return [Repo.ProgramDll("publisher", "davecast-publisher"), "--mount", "m", "--relay", "127.0.0.1:" + Free(),
                    .. option == "--metrics-listen" ? ["--listen-source", "127.0.0.1:" + Free()] : Array.Empty<string>(), option, $"127.0.0.1:{port}"];
        }
    }

    private static string Free() => Ports.Free().ToString();

    private static Socket Take(IPEndPoint endpoint, ProtocolType protocol)
    {
        var socket = protocol == ProtocolType.Tcp
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(endpoint);
        if (protocol == ProtocolType.Tcp) socket.Listen();
        return socket;
    }
}
