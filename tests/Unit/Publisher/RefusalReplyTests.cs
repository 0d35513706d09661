using System.Net;
using System.Net.Sockets;
using System.Text;
using Davecast.Publisher;
using Davecast.Wire;
using Xunit.Abstractions;

namespace Davecast.Tests.Publisher;

/// <summary>
/// The publisher reads what a relay sends back on its paths: a signed Refused packet is logged (once per 10 s per
/// relay), a forged one is not. The "relay" here is a plain socket that answers the publisher's heartbeats.
/// </summary>
public sealed class RefusalReplyTests(ITestOutputHelper output)
{
    private readonly TestLogging _logging = new(output);

    [Fact]
    public async Task A_signed_refusal_on_udp_is_logged_once_per_ten_seconds_and_a_forged_one_never()
    {
        using var audio = TestAudio.Cut("programme.aac", 1);
        using var relay = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        relay.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)relay.LocalEndPoint!).Port;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var run = RunAsync(stop.Token, "--mount", "/r.aac", "--encoder", "backup", "--relay", $"127.0.0.1:{port}", "--transport", "udp",
            "--file", audio.Path, "--loop", "--key-id", "k9", "--key", "right-key");

        // Answer several packets: a forged refusal (another key), then the real one five times.
        var buffer = new byte[Protocol.MaxPacketSize];
        int answered = 0;
        while (answered < 6)
        {
            var received = await relay.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop.Token);
            Assert.Equal(RejectReason.None, PacketCodec.TryParse(buffer.AsSpan(0, received.ReceivedBytes), out var view));
            var key = answered == 0 ? "wrong-key" : "right-key";
            var reason = answered == 0 ? "forged: stop publishing" : "codec parameters AAC (LC) 44100 Hz, 2 ch differ from mount /r.aac's MP3";
            var reply = new byte[Refusal.MaxSize(view)];
            using var tags = new PacketKey(Encoding.UTF8.GetBytes(key));
            int n = Refusal.Write(reply, view, (ulong)answered, 0, reason, tags);
            await relay.SendToAsync(reply.AsMemory(0, n), SocketFlags.None, received.RemoteEndPoint, stop.Token);
            answered++;
        }
        await Support.Wait.UntilAsync(() => Refusals().Count > 0, TimeSpan.FromSeconds(5), "the refusal in the log");
        // The other four refusals were queued before the first was logged: a quiet spell shows none of them is logged.
        await Support.Wait.HoldsAsync(() => Refusals().Count == 1, TimeSpan.FromMilliseconds(300), "one refusal line in ten seconds");
        stop.Cancel();
        Assert.Equal(0, await run);

        var line = Assert.Single(Refusals());
        Assert.Contains($"Relay 127.0.0.1:{port} refuses encoder backup on mount /r.aac: codec parameters", line);
        Assert.Contains("Error", line);
        Assert.DoesNotContain(_logging.Lines, l => l.Contains("forged"));
    }

    [Fact]
    public async Task A_refusal_on_the_tcp_connection_is_logged()
    {
        using var audio = TestAudio.Cut("programme.aac", 1);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var run = RunAsync(stop.Token, "--mount", "t.aac", "--encoder", "enc", "--relay", $"127.0.0.1:{port}", "--transport", "tcp",
                "--file", audio.Path, "--loop");
            using var client = await listener.AcceptTcpClientAsync(stop.Token);
            var stream = client.GetStream();
            // The Announce leads the queue, but a connect slower than the queue's two seconds (a loaded test host)
            // drops it as the oldest packet; the next one comes within a second.
            var prefix = new byte[StreamFraming.PrefixSize];
            byte[] packet;
            int read = 0;
            do
            {
                Assert.True(read++ < 500, "no Announce in the first 500 packets");
                await stream.ReadExactlyAsync(prefix, stop.Token);
                Assert.True(StreamFraming.TryReadLength(prefix, out int length));
                packet = new byte[length];
                await stream.ReadExactlyAsync(packet, stop.Token);
            }
            while (TypeOf(packet) != PacketType.Announce);
            PacketCodec.TryParse(packet, out var view);

            var reply = new byte[StreamFraming.PrefixSize + Refusal.MaxSize(view)];
            using var tags = new PacketKey(Encoding.UTF8.GetBytes(Protocol.DevelopmentSecret));
            int n = Refusal.Write(reply.AsSpan(2), view, 1, 0, "sample rate differs", tags);
            StreamFraming.WritePrefix(reply, n);
            // Byte by byte: the publisher reassembles a packet split across reads.
            for (int i = 0; i < n + 2; i++) await stream.WriteAsync(reply.AsMemory(i, 1), stop.Token);

            await Support.Wait.UntilAsync(() => Refusals().Count > 0, TimeSpan.FromSeconds(5), "the refusal in the log");
            stop.Cancel();
            Assert.Equal(0, await run);
            Assert.Contains($"Relay 127.0.0.1:{port} refuses encoder enc on mount /t.aac: sample rate differs", Assert.Single(Refusals()));
        }
        finally
        {
            listener.Stop();
        }
    }

    private static PacketType TypeOf(byte[] packet)
    {
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var view));
        return view.Type;
    }

    private List<string> Refusals() => [.. _logging.Lines.Where(l => l.Contains(" refuses encoder "))];

    private async Task<int> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var factory = _logging.Factory();
        int code = await PublisherApp.RunAsync([.. args, "--stats-interval", "0"], factory, new StringWriter(), new StringWriter(), "Development", cancellationToken);
        output.WriteLine($"exit {code}");
        return code;
    }
}
