using System.Net;
using System.Net.Sockets;
using Davecast.Frames;
using Davecast.Wire;

namespace Davecast.Tests.Support;

/// <summary>The scenario helpers themselves: the proxy forwards, loses and cuts as told; the checks count right.</summary>
public sealed class SupportTests
{
    private static byte[] Packet(string encoder, ulong sequence, int size = 100)
    {
        // Enough of the wire header for the proxy's accounting: magic, version, type Audio, mount, encoder, 1 frame.
        var p = new byte[size];
        p[0] = 0x44; p[1] = 0x43; p[2] = 1; p[3] = 1;
        p[6] = 1; p[7] = (byte)encoder.Length; p[9] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(20), sequence);
        p[36] = (byte)'m';
        System.Text.Encoding.ASCII.GetBytes(encoder).CopyTo(p, 37);
        return p;
    }

    private sealed class Upstream : IDisposable
    {
        public readonly UdpClient Udp;
        public readonly TcpListener Tcp;
        public readonly List<byte[]> UdpPackets = [];
        public readonly List<byte[]> TcpPackets = [];
        private readonly CancellationTokenSource _stop = new();

        public Upstream(int port = 0)
        {
            Tcp = new TcpListener(IPAddress.Loopback, port);
            Tcp.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            Tcp.Start();
            Port = ((IPEndPoint)Tcp.LocalEndpoint).Port;
            Udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, Port));
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var r = await Udp.ReceiveAsync(_stop.Token);
                        lock (UdpPackets) UdpPackets.Add(r.Buffer);
                    }
                }
                catch (Exception) { }
            });
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var client = await Tcp.AcceptTcpClientAsync(_stop.Token);
                        _ = Task.Run(async () =>
                        {
                            var s = client.GetStream();
                            var prefix = new byte[StreamFraming.PrefixSize];
                            try
                            {
                                while (true)
                                {
                                    await s.ReadExactlyAsync(prefix, _stop.Token);
                                    if (!StreamFraming.TryReadLength(prefix, out int length)) break;
                                    var body = new byte[length];
                                    await s.ReadExactlyAsync(body, _stop.Token);
                                    lock (TcpPackets) TcpPackets.Add(body);
                                }
                            }
                            catch (Exception) { client.Dispose(); }
                        });
                    }
                }
                catch (Exception) { }
            });
        }

        public int Port { get; }

        public void Dispose()
        {
            _stop.Cancel();
            Tcp.Stop();
            Udp.Dispose();
        }
    }

    [Fact]
    public async Task PathProxy_forwards_loses_cuts_and_follows_a_restarted_relay()
    {
        var upstream = new Upstream();
        int port = upstream.Port;
        await using var proxy = new PathProxy("p", port, seed: 5);
        using var udp = new UdpClient();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, proxy.Port);
        var stream = tcp.GetStream();
        async Task SendBoth(ulong seq)
        {
            var p = Packet("enc", seq);
            await udp.SendAsync(p, new IPEndPoint(IPAddress.Loopback, proxy.Port));
            var framed = new byte[2 + p.Length];
            StreamFraming.WritePrefix(framed, p.Length);
            p.CopyTo(framed, 2);
            // Split writes, so the proxy must reassemble packets from the byte stream.
            await stream.WriteAsync(framed.AsMemory(0, 1));
            await stream.WriteAsync(framed.AsMemory(1));
        }

        for (ulong i = 0; i < 100; i++) await SendBoth(i);
        await Wait.UntilAsync(() => upstream.TcpPackets.Count == 100 && upstream.UdpPackets.Count == 100, TimeSpan.FromSeconds(5), "100 packets each way");
        Assert.Equal(Packet("enc", 7), upstream.TcpPackets[7]);

        proxy.UdpLoss = 0.5;
        proxy.TcpCut = true;
        for (ulong i = 100; i < 1100; i++) await SendBoth(i);
        await Wait.UntilAsync(() => proxy.UdpForwarded + proxy.UdpDropped == 1100 && proxy.TcpDropped == 1000, TimeSpan.FromSeconds(5), "1000 more packets");
        Assert.InRange(proxy.UdpDropped, 400, 600);
        Assert.Equal(100, upstream.TcpPackets.Count);
        var lost = PathProxy.LostOnEveryPath("enc", proxy);
        Assert.Equal(proxy.UdpDropped, lost.Count);

        // The relay dies and comes back on the same port: the same downstream connection is forwarded again.
        proxy.UdpLoss = 0;
        proxy.TcpCut = false;
        upstream.Dispose();
        ulong next = 1100;
        long unsent = proxy.TcpUnsent;
        // Sent while the relay is gone, until the proxy finds that it cannot forward them.
        await Wait.UntilAsync(async () =>
        {
            await SendBoth(next++);
            return proxy.TcpUnsent > unsent;
        }, TimeSpan.FromSeconds(5), "the proxy to find the relay gone");
        using var again = new Upstream(port);
        // Sent until the restarted relay gets them: the proxy reconnects by itself when a packet comes.
        await Wait.UntilAsync(async () =>
        {
            await SendBoth(next++);
            return again.TcpPackets.Count > 0 && again.UdpPackets.Count > 0;
        }, TimeSpan.FromSeconds(5), "packets to the restarted relay");
        Assert.Equal(1, proxy.TcpConnections);
        Assert.True(proxy.TcpUpstreamConnects >= 2, proxy.ToString());
    }

    [Fact]
    public void FrameContinuity_with_two_sources_reports_switches_and_counts_beyond_the_tolerance()
    {
        var all = FrameFile.ReadAll(Repo.Fixture("programme.aac"));
        // Two "encodings" of 300 frames: frame i of each stands for the same programme time.
        var a = all.Take(300).ToList();
        var b = all.Skip(300).Take(300).ToList();
        var continuity = new FrameContinuity([a, b], ["a", "b"]);
        byte[] Join(IEnumerable<ParsedFrame> frames) => [.. frames.SelectMany(f => f.Data), .. a[0].Data];

        var exact = continuity.Check(Join(a.Take(20).Concat(b.Skip(20).Take(30))));
        Assert.True(exact.Perfect, exact.ToString());
        var sw = Assert.Single(exact.Switches);
        Assert.Equal((0, 19, 1, 20, 0), (sw.FromSource, sw.FromIndex, sw.ToSource, sw.ToIndex, sw.Offset));

        var skipOne = continuity.Check(Join(a.Take(20).Concat(b.Skip(21).Take(30))));
        Assert.True(skipOne.Perfect, skipOne.ToString());
        Assert.Equal(1, skipOne.Switches[0].Offset);

        var repeatOne = continuity.Check(Join(a.Take(20).Concat(b.Skip(19).Take(30))));
        Assert.True(repeatOne.Perfect, repeatOne.ToString());
        Assert.Equal(-1, repeatOne.Switches[0].Offset);

        var skipThree = continuity.Check(Join(a.Take(20).Concat(b.Skip(23).Take(30))));
        Assert.Equal(3, skipThree.Missing);
        var back = continuity.Check(Join(a.Take(20).Concat(b.Skip(15).Take(30))));
        Assert.Equal(5, back.Repeated);

        // One source, as before.
        var single = FrameContinuity.ForFile(Repo.Fixture("programme.aac"));
        var gap = single.Check([.. all.Take(10).Concat(all.Skip(12).Take(10)).SelectMany(f => f.Data), .. all[0].Data]);
        Assert.Equal((2, 0), (gap.Missing, gap.Repeated));
    }

    [Fact]
    public void ScenarioCheck_measures_lateness_silence_and_the_switch()
    {
        var all = FrameFile.ReadAll(Repo.Fixture("programme.aac"));
        var a = all.Take(400).ToList();
        var b = all.Skip(400).Take(400).ToList();
        var continuity = new FrameContinuity([a, b], ["a", "b"]);
        // 2 s of burst at once, then one frame every frame duration; at 5 s a 1.5 s pause, then b's frames.
        double frame = 1024.0 / 44100;
        var frames = a.Take(300).Concat(b.Skip(300).Take(100)).Concat([a[0]]).ToList();
        var bytes = frames.SelectMany(f => f.Data).ToArray();
        var arrivals = new List<(TimeSpan, long)>();
        long total = 0;
        int burst = (int)(2 / frame);
        double t = 0.01;
        for (int i = 0; i < frames.Count; i++)
        {
            total += frames[i].Data.Length;
            if (i < burst) { arrivals.Add((TimeSpan.FromSeconds(t), total)); continue; }
            t += frame;
            if (i == 300) t += 1.5;
            arrivals.Add((TimeSpan.FromSeconds(t), total));
        }
        var check = new ScenarioCheck("synthetic", continuity);
        check.Mark("fault", TimeSpan.FromSeconds(0.01 + (300 - burst) * frame));
        var r = check.Analyze(bytes, arrivals, TimeSpan.FromSeconds(t));
        Assert.True(r.Frames.Perfect, r.Frames.ToString());
        Assert.InRange(r.LongestSilence.TotalSeconds, 1.5, 1.6);
        // Lead of 2 s, 1.5 s of it used by the pause: the listener stays ahead by 0.5 s.
        Assert.InRange(r.MaxLateness.TotalSeconds, -0.6, -0.4);
        Assert.InRange(r.LeadUsed.TotalSeconds, 1.45, 1.6);
        Assert.True(r.Passed, r.Details());
        var fault = Assert.Single(r.Faults);
        Assert.InRange(fault.SwitchAfter!.Value.TotalSeconds, 1.5, 1.6);
        Assert.Contains("| synthetic | 400 | 0 | 0 | 0 |", r.ToString());
    }

    [Fact]
    public async Task RedisServer_answers_and_stops()
    {
        int port;
        await using (var redis = await RedisServer.StartAsync())
        {
            port = redis.Port;
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port);
        }
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port));
    }
}
