using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Davecast.Cli;
using Davecast.Net;
using Davecast.Silo.Operations;
using Davecast.Wire;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Ingest;

/// <summary>Multicast groups the relay joins (<c>--multicast</c>), on the interface with the given address.</summary>
public sealed record IngestMulticast(IReadOnlyList<MulticastGroup> Groups, IPAddress Interface);

/// <summary>
/// Receives publisher packets on one port, over UDP (a packet per datagram) and TCP (length-prefixed packets), and
/// from the multicast groups it joined (a packet per datagram), and hands each to the <see cref="PacketAcceptor"/>.
/// An encoder that its mount refuses hears so (<see cref="RefusalReplies"/>) on the path its packets come by: on its
/// TCP connection, or as a datagram to the address its datagrams come from. TCP connections are capped in total and
/// per source address (<see cref="IngestGate"/>), and one that brings no packet with a valid tag within
/// <see cref="RelayOptions.IngestAuthTimeout"/> is closed: a stranger without a key holds nothing for long.
/// </summary>
public sealed partial class IngestListener(
    IOptions<RelayOptions> options,
    PacketAcceptor acceptor,
    RefusalReplies refusals,
    IngestCounters counters,
    PortGate<TcpRefusal> gate,
    ILogger<IngestListener> logger,
    IngestMulticast? multicast = null) : BackgroundService
{
    private readonly RelayOptions _options = options.Value;
    private readonly List<(MulticastGroup Group, Socket Socket)> _groups = [];
    private Socket? _udp;
    private TcpListener? _tcp;
    private volatile bool _stopping;

    // One line per interval for each event a stranger or a key holder's bug can flood.
    private static readonly long FloodLogMs = (long)PortGate<TcpRefusal>.LogInterval.TotalMilliseconds;
    private readonly FloodTally _corrupt = new(1, FloodLogMs);
    private readonly FloodTally _capped = new(1, FloodLogMs);
    private readonly FloodTally _acceptFailed = new(1, FloodLogMs);

    /// <summary>The bound endpoint, known once started (port 0 picks a free one).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = new IPEndPoint(_options.IngestAddress, _options.IngestPort);
        _tcp = new TcpListener(endpoint);
        ListenFailure.Bind(endpoint, "TCP", "--ingest-port", () => _tcp.Start(256));
        var bound = (IPEndPoint)_tcp.LocalEndpoint;
        _udp = new Socket(bound.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _udp.ReceiveBufferSize = 4 * 1024 * 1024;
        ListenFailure.Bind(bound, "UDP", "--ingest-port", () => _udp.Bind(bound));
        LocalEndPoint = bound;
        LogListening(bound);
        if (multicast is not null) JoinGroups(multicast, bound);
        return base.StartAsync(cancellationToken);
    }

    private void JoinGroups(IngestMulticast config, IPEndPoint bound)
    {
        foreach (var group in config.Groups)
        {
            try
            {
                // A group on the port of an ingest socket bound to every address: that socket joins it (another
                // socket could not bind the port); else a socket of its own, bound to the group's address.
                bool ingestPort = group.Port == bound.Port && group.Address.AddressFamily == bound.AddressFamily
                    && (bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any));
                if (ingestPort) MulticastGroup.Join(_udp!, group, config.Interface);
                else _groups.Add((group, MulticastGroup.OpenReceiver(group, config.Interface)));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                throw ListenFailure.Of(group.EndPoint, "UDP", "--multicast", e);
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException($"--multicast {group}: cannot join on interface {config.Interface} (--multicast-interface): {e.Message}", e);
            }
            LogJoined(group, config.Interface);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new List<Task>
        {
            Task.Factory.StartNew(() => ReceiveDatagrams(_udp!, stoppingToken), TaskCreationOptions.LongRunning),
            AcceptTcpAsync(stoppingToken),
        };
        foreach (var (_, socket) in _groups)
            loops.Add(Task.Factory.StartNew(() => ReceiveDatagrams(socket, stoppingToken), TaskCreationOptions.LongRunning));
        return Task.WhenAll(loops);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Set first: closing the sockets interrupts their receive loops before the stopping token fires.
        _stopping = true;
        _tcp?.Stop();
        _udp?.Dispose();
        foreach (var (_, socket) in _groups) socket.Dispose();
        await base.StopAsync(cancellationToken);
    }

    // Hands one packet to the acceptor; answers an encoder that its mount refuses. True when its tag was valid.
    private bool Handle(ReadOnlySpan<byte> packet, IngestTransport transport, ReplyRoute reply)
    {
        var reason = acceptor.Accept(packet, transport, out var view, out var key, out var refusal);
        if (key is not null && refusal is not null) refusals.Tell(view, key, refusal, reply);
        if (PacketAcceptor.IsCap(reason) && _capped.Pass(FloodTally.NowMs, out long held))
            LogCapped(Encoding.UTF8.GetString(view.Encoder), Encoding.UTF8.GetString(view.Mount), Encoding.UTF8.GetString(view.KeyId), RelayMetrics.SnakeCase(reason.ToString()), held);
        return key is not null;
    }

    /// <summary>
    /// How long the datagram loop rests once it has emptied the socket's queue, before it looks again. Datagrams
    /// are then taken in bursts: at thousands a second the loop wakes about a thousand times a second, not once per
    /// datagram (each wake-up costs a context switch). The kernel queues what arrives meanwhile.
    /// </summary>
    public static readonly TimeSpan DatagramRest = TimeSpan.FromMilliseconds(1);

    private void ReceiveDatagrams(Socket socket, CancellationToken ct)
    {
        using var reader = new DatagramReader(socket);
        // Replies leave by the ingest socket (a unicast source address), also for what came by multicast.
        var reply = new UdpReply(socket, socket == _udp || _udp!.AddressFamily != socket.AddressFamily ? socket : _udp);
        var transport = socket == _udp ? IngestTransport.Udp : IngestTransport.Multicast;
        bool burst = false;
        while (!ct.IsCancellationRequested)
        {
            int n;
            try
            {
                n = reader.Read();
                if (n == 0)
                {
                    // The queue is empty: rest after a burst, else wait for the next datagram (waking now and then to see
                    // whether we are stopping).
                    if (burst)
                    {
                        burst = false;
                        Thread.Sleep(DatagramRest);
                    }
                    else socket.Poll(500_000, SelectMode.SelectRead);
                    continue;
                }
                burst = true;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                continue;
            }
            catch (Exception e) when (ct.IsCancellationRequested || _stopping || e is ObjectDisposedException)
            {
                return;
            }
            for (int i = 0; i < n; i++)
            {
                reader.CopySource(i, reply.Address);
                Handle(reader.Datagram(i), transport, reply);
            }
        }
    }

    private async Task AcceptTcpAsync(CancellationToken ct)
    {
        var sweeper = new Thread(() => SweepTcp(ct)) { IsBackground = true, Name = "ingest-tcp" };
        sweeper.Start();
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _tcp!.AcceptSocketAsync(ct);
            }
            catch (Exception e) when (ct.IsCancellationRequested || _stopping || e is ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                // Out of file descriptors, say: one line per interval, and a pause rather than a spin until it clears.
                if (_acceptFailed.Pass(FloodTally.NowMs, out long held)) LogAcceptFailed(e.SocketErrorCode, held);
                await Task.Delay(TcpRest, CancellationToken.None);
                continue;
            }
            IPEndPoint remote;
            try
            {
                remote = (IPEndPoint)socket.RemoteEndPoint!;
                socket.NoDelay = true;
                socket.Blocking = false;
            }
            catch (SocketException)
            {
                socket.Dispose();
                continue;
            }
            if (!gate.TryOpen(remote.Address, remote.ToString()))
            {
                Reset(socket);
                continue;
            }
            _newConnections.Enqueue(new TcpConnection(socket, remote));
        }
        await Task.Run(() => sweeper.Join());
    }

    // Closes a connection the ingest does not take.
    private static void Reset(Socket socket)
    {
        try
        {
            // A reset, not a close: the kernel keeps nothing of the connection (no TIME_WAIT) however many come.
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        socket.Dispose();
    }

    /// <summary>How often the TCP sweep looks for connections past the authentication timeout.</summary>
    private static readonly TimeSpan AuthCheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the TCP sweep rests between rounds over the connections.</summary>
    public static readonly TimeSpan TcpRest = TimeSpan.FromMilliseconds(10);

    /// <summary>How long the TCP sweep waits for data once a round found none.</summary>
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(100);

    private readonly System.Collections.Concurrent.ConcurrentQueue<TcpConnection> _newConnections = new();

    /// <summary>
    /// Reads every publisher TCP connection from one thread. Each round asks which sockets have data (one system
    /// call, <see cref="ReadySockets{T}"/>), takes what those hold (non-blocking reads), handles the whole packets,
    /// sends any replies, then rests <see cref="TcpRest"/>. A connection brings a packet every few tens of
    /// milliseconds: thousands of them then cost about a system call per packet, where waiting on each one would cost
    /// an epoll event, a thread-pool work item and the context switches of both per packet, and trying every socket
    /// every round would cost a call per connection per round.
    /// </summary>
    private void SweepTcp(CancellationToken ct)
    {
        var connections = new List<TcpConnection>();
        using var readable = new ReadySockets<TcpConnection>();
        var ready = new List<TcpConnection>();
        bool idle = false;
        long authCheckedAt = Stopwatch.GetTimestamp();
        while (!ct.IsCancellationRequested && !_stopping)
        {
            while (_newConnections.TryDequeue(out var c))
            {
                connections.Add(c);
                readable.Add(c.Socket, c);
            }
            ready.Clear();
            // After a round that found nothing, wait for data instead of resting: an idle relay then wakes ten times a
            // second, not a hundred (a new connection waits that long at most for its first round).
            readable.Collect(ready, idle ? IdleWait : TimeSpan.Zero);
            idle = ready.Count == 0;
            bool closed = false;
            foreach (var c in ready)
                if (!Sweep(c)) closed = c.Closed = true;
            // Replies a full socket did not take yet.
            foreach (var c in connections)
                if (!c.Closed && c.Reply.Waiting && !c.Reply.Flush(c.Socket)) closed = c.Closed = true;
            long now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(authCheckedAt, now) >= AuthCheckInterval)
            {
                authCheckedAt = now;
                foreach (var c in connections)
                    if (!c.Closed && !c.Authenticated && Stopwatch.GetElapsedTime(c.OpenedAt, now) >= _options.IngestAuthTimeout)
                        closed = c.Closed = c.TimedOut = true;
            }
            if (closed)
            {
                foreach (var c in connections)
                {
                    if (!c.Closed) continue;
                    readable.Remove(c);
                    gate.Close(c.Remote.Address);
                    if (c.TimedOut)
                    {
                        gate.Refuse(TcpRefusal.NoValidPacket, c.Remote.ToString());
                        Reset(c.Socket);
                    }
                    else c.Dispose();
                    if (c.Authenticated) LogTcpClosed(c.Remote, c.Packets);
                }
                connections.RemoveAll(c => c.Closed);
            }
            if (!idle) Thread.Sleep(TcpRest);
        }
        while (_newConnections.TryDequeue(out var c)) connections.Add(c);
        foreach (var c in connections) c.Dispose();
    }

    // One round for one connection; false once it is closed (or its stream corrupt).
    private bool Sweep(TcpConnection c)
    {
        while (true)
        {
            int n = c.Socket.Receive(c.Buffer.AsSpan(c.Length), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock) break;
            if (error != SocketError.Success || n == 0) return false;
            c.Length += n;
            if (!TakePackets(c)) return false;
            if (c.Length < c.Buffer.Length) break;
        }
        return c.Reply.Flush(c.Socket);
    }

    // Handles every whole packet in the connection's buffer and keeps the rest; false when the stream is corrupt.
    private bool TakePackets(TcpConnection c)
    {
        int at = 0;
        while (c.Length - at >= StreamFraming.PrefixSize)
        {
            if (!StreamFraming.TryReadLength(c.Buffer.AsSpan(at), out int length))
            {
                counters.Reject(RejectReason.BadLength);
                // A publisher's stream gone wrong is news; a stranger's garbage, one line per interval.
                if (c.Authenticated) LogTcpCorrupt(c.Remote, 0);
                else if (_corrupt.Pass(FloodTally.NowMs, out long held)) LogTcpCorrupt(c.Remote, held);
                return false;
            }
            if (c.Length - at < StreamFraming.PrefixSize + length)
            {
                // A packet larger than the buffer: grow it (once) to the largest a packet can be.
                if (StreamFraming.PrefixSize + length > c.Buffer.Length) Array.Resize(ref c.Buffer, StreamFraming.PrefixSize + Protocol.MaxPacketSize);
                break;
            }
            if (Handle(c.Buffer.AsSpan(at + StreamFraming.PrefixSize, length), IngestTransport.Tcp, c.Reply) && !c.Authenticated)
            {
                c.Authenticated = true;
                LogTcpConnected(c.Remote);
            }
            c.Packets++;
            at += StreamFraming.PrefixSize + length;
        }
        if (at > 0)
        {
            c.Buffer.AsSpan(at, c.Length - at).CopyTo(c.Buffer);
            c.Length -= at;
        }
        return true;
    }

    /// <summary>A publisher's TCP connection: its socket, the bytes of a packet not whole yet, replies to send.</summary>
    private sealed class TcpConnection(Socket socket, IPEndPoint remote) : IDisposable
    {
        public Socket Socket { get; } = socket;
        public IPEndPoint Remote { get; } = remote;
        public long OpenedAt { get; } = Stopwatch.GetTimestamp();
        /// <summary>A packet with a valid tag came: the connection is a publisher's, and no longer on the clock.</summary>
        public bool Authenticated;
        /// <summary>Closed for bringing no valid packet in time.</summary>
        public bool TimedOut;
        /// <summary>Small: a connection carries small packets; grown for a large one.</summary>
        public byte[] Buffer = new byte[4096];
        public int Length;
        public long Packets;
        public TcpReply Reply { get; } = new(remote);
        /// <summary>Closed or failed: disposed at the end of the round.</summary>
        public bool Closed;

        public void Dispose() => Socket.Dispose();
    }

    [LoggerMessage(LogLevel.Information, "Ingest listening on {Endpoint} (UDP and TCP)")]
    private partial void LogListening(IPEndPoint endpoint);

    [LoggerMessage(LogLevel.Information, "Ingest joined multicast group {Group} on interface {Interface}")]
    private partial void LogJoined(MulticastGroup group, IPAddress @interface);

    [LoggerMessage(LogLevel.Warning, "Ingest TCP accept failed: {Error} ({Held} more failures since the last such line)")]
    private partial void LogAcceptFailed(SocketError error, long held);

    [LoggerMessage(LogLevel.Information, "Publisher connected over TCP from {Remote} (its first packet with a valid tag)")]
    private partial void LogTcpConnected(EndPoint? remote);

    [LoggerMessage(LogLevel.Information, "Publisher TCP connection from {Remote} closed after {Packets} packets")]
    private partial void LogTcpClosed(EndPoint? remote, long packets);

    [LoggerMessage(LogLevel.Warning, "Publisher TCP stream from {Remote} is corrupt (bad length prefix); closing it ({Held} more such unauthenticated streams since the last such line)")]
    private partial void LogTcpCorrupt(EndPoint? remote, long held);

    [LoggerMessage(LogLevel.Warning, "Refused a packet of encoder {Encoder} for mount {Mount} (key {KeyId}): {Reason}, see /metrics davecast_relay_packets_rejected_total ({Held} more refused for a cap since the last such line)")]
    private partial void LogCapped(string encoder, string mount, string keyId, string reason, long held);

}
