using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Davecast.Publisher;
using Davecast.Tests.Support;
using Davecast.Wire;
using Xunit.Abstractions;

namespace Davecast.Tests.Publisher;

/// <summary>The publisher sending only to multicast groups on loopback, received by sockets that joined them.</summary>
public sealed class MulticastPathTests(ITestOutputHelper output)
{
    private readonly TestLogging _logging = new(output);

    [Fact]
    public async Task Every_frame_goes_to_each_group_with_path_id_group_index_times_4_plus_2()
    {
        using var audio = TestAudio.Cut("programme.aac", 1);
        var groups = new[] { RandomGroup(), RandomGroup() };
        var received = groups.Select(_ => new ConcurrentQueue<WirePacket>()).ToArray();
        using var stop = new CancellationTokenSource();
        var sockets = groups.Select(g => MulticastGroup.OpenReceiver(g, IPAddress.Loopback)).ToArray();
        var loops = sockets.Select((s, i) => ReceiveAsync(s, received[i], stop.Token)).ToArray();
        try
        {
            using var factory = _logging.Factory();
            int code = await PublisherApp.RunAsync(
                ["--mount", "mc.aac", "--encoder", "mc", "--multicast", groups[0].ToString(), "--multicast", groups[1].ToString(),
                    "--multicast-ttl", "0", "--file", audio.Path, "--stats-interval", "0"],
                factory, new StringWriter(), new StringWriter(), "Development", CancellationToken.None);
            Assert.Equal(0, code);
            await Wait.UntilAsync(
                () => received.All(q => q.Any(p => p.Packet.Type == PacketType.Heartbeat
                    && Heartbeat.TryRead(p.Packet.Payload, out var next) && next == (ulong)audio.Frames.Count)),
                TimeSpan.FromSeconds(5), "the last heartbeat on every group");
        }
        finally
        {
            stop.Cancel();
            foreach (var s in sockets) s.Dispose();
            await Task.WhenAll(loops);
        }

        for (int g = 0; g < groups.Length; g++)
        {
            var packets = received[g].ToList();
            Assert.All(packets, p => Assert.Equal(g * 4 + 2, p.Packet.PathId));
            Assert.All(packets, p => Assert.True(p.VerifiesWith(Protocol.DevelopmentSecret)));
            var frames = packets.Select(p => p.Packet).Where(p => p.Type == PacketType.Audio).OrderBy(p => p.Sequence).ToList();
            Assert.Equal(audio.Frames.Select(f => f.Data), frames.Select(f => Assert.Single(f.Frames)));
        }
        Assert.Contains(_logging.Lines, l => l.Contains("multicast " + groups[1]));
    }

    private static MulticastGroup RandomGroup() =>
        new(IPAddress.Parse($"239.255.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}"), Ports.Free());

    private static async Task ReceiveAsync(Socket socket, ConcurrentQueue<WirePacket> into, CancellationToken ct)
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                into.Enqueue(new WirePacket(buffer[..n], 0));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
