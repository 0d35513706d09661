using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Davecast.Wire;

namespace Davecast.Tests.Support;

/// <summary>
/// Sits between a publisher and one relay's ingest port on real loopback sockets, so that a test can lose or cut
/// each path (UDP, TCP) independently. It listens on <see cref="Port"/> for UDP and TCP (give that port to the
/// publisher as its <c>--relay</c>) and forwards to the relay's ingest port: UDP datagram for datagram; TCP packet
/// for packet (it parses the 2-byte length prefix, see <see cref="StreamFraming"/>, and forwards or drops whole
/// packets, opening one upstream connection per downstream connection).
/// <para>
/// A cut path is a black hole: every packet the publisher sends on it is read and dropped. TCP connections stay
/// open (the publisher sees no error, as with a cable cut before its send buffer fills), and no packet reaches the
/// relay until the cut is lifted; then forwarding resumes on the same connections.
/// </para>
/// <para>
/// When the relay behind the proxy dies, UDP datagrams are sent into the void and TCP packets are dropped (counted in
/// <see cref="TcpUnsent"/>) while the proxy reconnects upstream every 200 ms; a relay restarted on the same port is
/// fed again without the publisher noticing anything.
/// </para>
/// </summary>
public sealed class PathProxy : IAsyncDisposable
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromMilliseconds(200);

    private readonly IPEndPoint _upstream;
    private readonly Socket _udp;
    private readonly Socket _udpOut;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _udpRandom;
    private readonly Random _tcpRandom;
    private readonly List<Task> _tasks = [];
    private readonly List<Socket> _connections = [];
    private readonly HashSet<FrameId> _seen = [];
    private readonly HashSet<FrameId> _delivered = [];
    private long _udpForwarded, _udpDropped, _tcpForwarded, _tcpDropped, _tcpUnsent, _tcpConnections, _tcpUpstreamConnects;

    /// <param name="relayAddress">The relay's ingest address (default loopback; a site's address to reach a relay in a <see cref="NetworkSites"/> namespace).</param>
    public PathProxy(string name, int relayIngestPort, int seed = 1, string relayAddress = "127.0.0.1")
    {
        Name = name;
        _upstream = new IPEndPoint(IPAddress.Parse(relayAddress), relayIngestPort);
        // System.Random's seeded sequences are correlated for nearby seeds (seeds 22-25 lose a packet on all four
        // paths 8 times as often as independent 20% losses would): mix the seeds first.
        _udpRandom = new Random(MixSeed(seed, 0));
        _tcpRandom = new Random(MixSeed(seed, 1));
        for (int attempt = 0; ; attempt++)
        {
            Port = Ports.Free();
            try
            {
                _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                _udp.Bind(new IPEndPoint(IPAddress.Loopback, Port));
                _tcp = new TcpListener(IPAddress.Loopback, Port);
                _tcp.Start();
                break;
            }
            catch (SocketException) when (attempt < 10)
            {
                _udp?.Dispose();
            }
        }
        _udp.ReceiveBufferSize = 4 * 1024 * 1024;
        _udpOut = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // A loopback source cannot leave the host for a site's address.
        _udpOut.Bind(new IPEndPoint(IPAddress.IsLoopback(_upstream.Address) ? IPAddress.Loopback : IPAddress.Any, 0));
        _tasks.Add(Task.Run(UdpLoopAsync));
        _tasks.Add(Task.Run(AcceptLoopAsync));
    }

    public string Name { get; }

    private static int MixSeed(int seed, int transport)
    {
        // SplitMix64's finalizer.
        ulong z = (ulong)seed * 2 + (ulong)transport + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7fffffff);
    }

    /// <summary>The port the publisher sends to (UDP and TCP).</summary>
    public int Port { get; }

    /// <summary>Share (0-1) of UDP datagrams dropped at random.</summary>
    public double UdpLoss { get; set; }

    /// <summary>Share (0-1) of TCP packets dropped at random.</summary>
    public double TcpLoss { get; set; }

    /// <summary>Drops every UDP datagram.</summary>
    public bool UdpCut { get; set; }

    /// <summary>Drops every TCP packet (connections stay open: a black hole).</summary>
    public bool TcpCut { get; set; }

    public long UdpForwarded => Interlocked.Read(ref _udpForwarded);

    /// <summary>Keep a copy of every UDP datagram forwarded, up to this many (0: keep none), for replaying them later.</summary>
    public int CaptureLimit { get; set; }

    private readonly System.Collections.Concurrent.ConcurrentQueue<byte[]> _captured = new();

    /// <summary>Copies of datagrams forwarded to the relay (see <see cref="CaptureLimit"/>), oldest first.</summary>
    public IReadOnlyList<byte[]> Captured => [.. _captured];

    /// <summary>UDP datagrams dropped by loss or cut.</summary>
    public long UdpDropped => Interlocked.Read(ref _udpDropped);

    public long TcpForwarded => Interlocked.Read(ref _tcpForwarded);

    /// <summary>TCP packets dropped by loss or cut.</summary>
    public long TcpDropped => Interlocked.Read(ref _tcpDropped);

    /// <summary>TCP packets that could not be forwarded because the relay was not reachable.</summary>
    public long TcpUnsent => Interlocked.Read(ref _tcpUnsent);

    public long TcpConnections => Interlocked.Read(ref _tcpConnections);

    /// <summary>One audio frame of one encoder session, as the packets' headers number them.</summary>
    public readonly record struct FrameId(string Encoder, ulong Session, ulong Sequence);

    /// <summary>
    /// Audio frames whose packets reached some proxy of <paramref name="proxies"/> but were forwarded by none of them
    /// (dropped on every path), for one encoder: the frames no relay can have.
    /// </summary>
    public static IReadOnlyList<FrameId> LostOnEveryPath(string encoder, params PathProxy[] proxies)
    {
        var seen = new HashSet<FrameId>();
        var delivered = new HashSet<FrameId>();
        foreach (var p in proxies)
        {
            lock (p._seen) seen.UnionWith(p._seen.Where(f => f.Encoder == encoder));
            lock (p._seen) delivered.UnionWith(p._delivered.Where(f => f.Encoder == encoder));
        }
        seen.ExceptWith(delivered);
        return [.. seen.OrderBy(f => f.Session).ThenBy(f => f.Sequence)];
    }

    /// <summary>
    /// Whether to note every frame seen for <see cref="LostOnEveryPath"/> (default). A long run turns it off: the
    /// notes grow with every frame.
    /// </summary>
    public bool CountFrames { get; init; } = true;

    // Notes the audio frames a packet carries (see docs/protocol.md for the header).
    private void Account(ReadOnlySpan<byte> packet, bool forwarded)
    {
        if (!CountFrames) return;
        if (packet.Length < 36 || packet[0] != 0x44 || packet[1] != 0x43 || packet[3] != 1) return;
        int m = packet[6], e = packet[7], count = packet[9];
        if (packet.Length < 36 + m + e) return;
        ulong session = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(packet[12..]);
        ulong sequence = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(packet[20..]);
        var encoder = System.Text.Encoding.UTF8.GetString(packet.Slice(36 + m, e));
        lock (_seen)
        {
            for (int i = 0; i < count; i++)
            {
                var id = new FrameId(encoder, session, sequence + (ulong)i);
                _seen.Add(id);
                if (forwarded) _delivered.Add(id);
            }
        }
    }

    public long TcpUpstreamConnects => Interlocked.Read(ref _tcpUpstreamConnects);

    public override string ToString() =>
        $"{Name} (:{Port} -> :{_upstream.Port}): udp {UdpForwarded} forwarded, {UdpDropped} dropped; "
        + $"tcp {TcpForwarded} forwarded, {TcpDropped} dropped, {TcpUnsent} unsent (relay unreachable), "
        + $"{TcpConnections} connections, {TcpUpstreamConnects} upstream connects";

    private bool Drop(Random random, double loss)
    {
        if (loss <= 0) return false;
        lock (random) return random.NextDouble() < loss;
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                var result = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                n = result.ReceivedBytes;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (UdpCut || Drop(_udpRandom, UdpLoss))
            {
                Interlocked.Increment(ref _udpDropped);
                Account(buffer.AsSpan(0, n), forwarded: false);
                continue;
            }
            Account(buffer.AsSpan(0, n), forwarded: true);
            try
            {
                await _udpOut.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, _upstream, _stop.Token);
                Interlocked.Increment(ref _udpForwarded);
                if (_captured.Count < CaptureLimit) _captured.Enqueue(buffer.AsSpan(0, n).ToArray());
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The relay is not there (an ICMP error may surface here): the datagram is lost, as on a network.
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _tcp.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            Interlocked.Increment(ref _tcpConnections);
            lock (_tasks)
            {
                _connections.Add(socket);
                _tasks.Add(Task.Run(() => ConnectionAsync(socket)));
            }
        }
    }

    private async Task ConnectionAsync(Socket downstream)
    {
        Socket? upstream = null;
        long nextAttempt = 0;
        var reader = PipeReader.Create(new NetworkStream(downstream, ownsSocket: false));
        var packet = new byte[StreamFraming.PrefixSize + Protocol.MaxPacketSize];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var read = await reader.ReadAsync(_stop.Token);
                var buffer = read.Buffer;
                while (StreamFraming.TryRead(ref buffer, out var body, out _))
                {
                    int length = (int)body.Length;
                    body.CopyTo(packet.AsSpan(StreamFraming.PrefixSize));
                    if (TcpCut || Drop(_tcpRandom, TcpLoss))
                    {
                        Interlocked.Increment(ref _tcpDropped);
                        Account(packet.AsSpan(StreamFraming.PrefixSize, length), forwarded: false);
                        continue;
                    }
                    if (upstream is null && Environment.TickCount64 >= nextAttempt)
                    {
                        upstream = await ConnectUpstreamAsync();
                        if (upstream is null) nextAttempt = Environment.TickCount64 + (long)Reconnect.TotalMilliseconds;
                    }
                    if (upstream is null)
                    {
                        Interlocked.Increment(ref _tcpUnsent);
                        Account(packet.AsSpan(StreamFraming.PrefixSize, length), forwarded: false);
                        continue;
                    }
                    StreamFraming.WritePrefix(packet, length);
                    Account(packet.AsSpan(StreamFraming.PrefixSize, length), forwarded: true);
                    try
                    {
                        await upstream.SendAsync(packet.AsMemory(0, StreamFraming.PrefixSize + length), SocketFlags.None, _stop.Token);
                        Interlocked.Increment(ref _tcpForwarded);
                    }
                    catch (SocketException)
                    {
                        Interlocked.Increment(ref _tcpUnsent);
                        upstream.Dispose();
                        upstream = null;
                        nextAttempt = Environment.TickCount64 + (long)Reconnect.TotalMilliseconds;
                    }
                }
                if (buffer.Length >= StreamFraming.PrefixSize && IsCorrupt(buffer)) return;
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted) return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            await reader.CompleteAsync();
            upstream?.Dispose();
            downstream.Dispose();
        }
    }

    private static bool IsCorrupt(ReadOnlySequence<byte> buffer)
    {
        var copy = buffer;
        StreamFraming.TryRead(ref copy, out _, out bool corrupt);
        return corrupt;
    }

    private async Task<Socket?> ConnectUpstreamAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await socket.ConnectAsync(_upstream, timeout.Token);
            Interlocked.Increment(ref _tcpUpstreamConnects);
            // The relay sends nothing; a read that ends means it closed: drop the socket so the next packet reconnects.
            _ = WatchUpstreamAsync(socket);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
    }

    private async Task WatchUpstreamAsync(Socket socket)
    {
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
            {
            }
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _tcp.Stop();
        _udp.Dispose();
        _udpOut.Dispose();
        Task[] tasks;
        lock (_tasks)
        {
            foreach (var c in _connections)
            {
                try { c.Shutdown(SocketShutdown.Both); } catch (Exception) { }
                c.Dispose();
            }
            tasks = [.. _tasks];
        }
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(5)));
        _stop.Dispose();
    }
}
