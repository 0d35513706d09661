using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Davecast.Bench.Load;
using Davecast.Tests.Support;

namespace Davecast.Tests.Bench;

/// <summary>
/// The load that drives the original Davecast in the <c>seed</c> row, received on real UDP sockets standing for two
/// relays: what each relay gets is the original's wire protocol (type, replica, stream id, big-endian sequence, body),
/// every encoder's PDUs numbered without a hole, an announcement before every 40th frame, the fixture's frames in order.
/// </summary>
public sealed class OriginalProtocolLoadTests
{
    private static readonly Programme Aac = Programme.Load(Repo.Fixture("programme.aac"));
    private static readonly Programme Mp3 = Programme.Load(Repo.Fixture("programme.mp3"));

    private sealed record Pdu(byte Type, byte Replica, string Stream, ulong Sequence, byte[] Body);

    [Fact]
    public async Task Each_relay_gets_every_PDU_of_every_encoder_with_its_replica_number_and_the_load_stops_by_itself()
    {
        using var relayA = Bound();
        using var relayB = Bound();
        using var load = new OriginalProtocolLoad(new OriginalLoadOptions
        {
            Relays = [(IPEndPoint)relayA.LocalEndPoint!, (IPEndPoint)relayB.LocalEndPoint!],
            Mounts = [new MountSpec("m0000.aac", Aac), new MountSpec("m0001.mp3", Mp3)],
            EncodersPerMount = 2,
            Duration = TimeSpan.FromSeconds(1.6),
            Spread = TimeSpan.Zero,
        });

        var run = Task.Factory.StartNew(load.Run, TaskCreationOptions.LongRunning);
        var atA = Task.Run(() => Collect(relayA, run));
        var atB = Task.Run(() => Collect(relayB, run));
        var report = await run;
        var a = await atA;
        var b = await atB;

        Assert.All(a, p => Assert.Equal(0, p.Replica));
        Assert.All(b, p => Assert.Equal(1, p.Replica));
        // Apart from the replica byte, both relays get the same PDUs of each encoder, in the same order (the
        // encoders' threads interleave as they please).
        Assert.Equal(ByStream(a), ByStream(b));
        Assert.Equal(report.Datagrams, a.Count + b.Count);
        Assert.Equal(0, report.SendErrors);

        var streams = a.GroupBy(p => p.Stream).ToList();
        Assert.Equal(4, streams.Count);
        long frames = 0;
        var mounts = new List<string>();
        foreach (var stream in streams)
        {
            var pdus = stream.ToList();
            // One sequence for all of an encoder's PDUs, without a hole.
            Assert.Equal(Enumerable.Range(1, pdus.Count).Select(i => (ulong)i), pdus.Select(p => p.Sequence));
            var announce = pdus[0];
            Assert.Equal(OriginalPdu.Announce, announce.Type);
            string mount = Encoding.ASCII.GetString(announce.Body.AsSpan(1));
            Assert.Contains(mount, new[] { "m0000.aac", "m0001.mp3" });
            bool isAac = mount.EndsWith(".aac", StringComparison.Ordinal);
            // The original's stream types: 0 for 48 kbps AAC, 1 for 128 kbps MP3.
            Assert.Equal(isAac ? 0 : 1, announce.Body[0]);
            mounts.Add(mount);
            var programme = isAac ? Aac : Mp3;

            var audio = pdus.Where(p => p.Type == OriginalPdu.Audio).ToList();
            Assert.True(audio.Count > 40, $"only {audio.Count} frames in 1.6 s");
            for (int i = 0; i < audio.Count; i++) Assert.Equal(programme.Frames[i % programme.Count], audio[i].Body);
            // An announcement right before frames 0, 40, 80...: nowhere else.
            var announcedBefore = new List<int>();
            int frame = 0;
            foreach (var p in pdus)
            {
                if (p.Type == OriginalPdu.Announce) announcedBefore.Add(frame);
                else frame++;
            }
            Assert.Equal(Enumerable.Range(0, (audio.Count + 39) / 40).Select(k => k * 40), announcedBefore);
            Assert.All(pdus.Where(p => p.Type == OriginalPdu.Announce), p => Assert.Equal(announce.Body, p.Body));
            frames += audio.Count;
        }
        Assert.Equal(report.FramesSent, frames);
        // Two encoders (two stream ids) per mount.
        Assert.Equal(["m0000.aac", "m0000.aac", "m0001.mp3", "m0001.mp3"], mounts.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Stop_ends_the_run_before_its_duration()
    {
        using var relay = Bound();
        using var load = new OriginalProtocolLoad(new OriginalLoadOptions
        {
            Relays = [(IPEndPoint)relay.LocalEndPoint!],
            Mounts = [new MountSpec("m0000.aac", Aac)],
            Duration = TimeSpan.FromMinutes(10),
        });
        var run = Task.Factory.StartNew(load.Run, TaskCreationOptions.LongRunning);
        // Once it sends, stop it: the run returns with what it sent.
        var first = new byte[2048];
        await relay.ReceiveAsync(first, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30));
        load.Stop();
        var report = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(report.FramesSent > 0);
    }

    private static SortedDictionary<string, string> ByStream(List<Pdu> pdus) =>
        new(pdus.GroupBy(p => p.Stream).ToDictionary(g => g.Key, g => string.Join(' ', g.Select(p => $"{p.Type}:{p.Sequence}:{Convert.ToHexString(p.Body)}"))), StringComparer.Ordinal);

    private static Socket Bound()
    {
        // Room for the whole run: a receiving thread starved by a busy machine must not cost datagrams.
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    // Everything that arrives while the load runs, and what the kernel still holds once it has returned.
    private static List<Pdu> Collect(Socket socket, Task sending)
    {
        var got = new List<Pdu>();
        var buffer = new byte[64 * 1024];
        while (!sending.IsCompleted || socket.Available > 0)
        {
            if (!socket.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)) continue;
            int n = socket.Receive(buffer);
            Assert.True(n >= OriginalPdu.HeaderSize, $"a {n}-byte datagram");
            got.Add(new Pdu(buffer[0], buffer[1], Convert.ToHexString(buffer, 2, OriginalPdu.StreamIdSize),
                BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(2 + OriginalPdu.StreamIdSize, 8)), buffer[OriginalPdu.HeaderSize..n]));
        }
        return got;
    }
}
