using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Davecast.Wire;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Ingest;

/// <summary>Multicast groups the relay joins (<c>--multicast</c>), on the interface with the given address.</summary>
public sealed record IngestMulticast(IReadOnlyList<MulticastGroup> Groups, IPAddress Interface);

/// <summary>
/// Receives publisher packets on one port, over UDP (a packet per datagram) and TCP (length-prefixed packets), and
/// from the multicast groups it joined (a packet per datagram). Every packet is checked (structure, key, tag,
/// frames) before its frames reach the <see cref="MountTable"/>. An encoder that its mount refuses hears so
/// (a Refused packet) on the path its packets come by: on its TCP connection, or as a datagram to the address its
/// datagrams come from.
/// </summary>
public sealed partial class IngestListener(
    IOptions<RelayOptions> options,
    MountTable table,
    KeyRing keys,
    IngestCounters counters,
    ILogger<IngestListener> logger,
    IngestMulticast? multicast = null) : BackgroundService
{
    /// <summary>Least time between two Refused packets to one encoder on one path.</summary>
    public static readonly TimeSpan RefusalInterval = TimeSpan.FromSeconds(1);

    private readonly RelayOptions _options = options.Value;
    private readonly List<(MulticastGroup Group, Socket Socket)> _groups = [];
    private readonly Dictionary<RefusalKey, long> _refusalsSent = [];
    private Socket? _udp;
    private TcpListener? _tcp;
    private long _refusalCount;
    private volatile bool _stopping;

    /// <summary>The bound endpoint, known once started (port 0 picks a free one).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>Refused packets sent to publishers.</summary>
    public long RefusalsSent => Interlocked.Read(ref _refusalCount);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = new IPEndPoint(_options.IngestAddress, _options.IngestPort);
        _tcp = new TcpListener(endpoint);
        _tcp.Start(256);
        var bound = (IPEndPoint)_tcp.LocalEndpoint;
        _udp = new Socket(bound.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _udp.ReceiveBufferSize = 4 * 1024 * 1024;
        _udp.Bind(bound);
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

    /// <summary>Checks and takes one packet from any transport.</summary>
    public RejectReason Handle(ReadOnlySpan<byte> packet, IngestTransport transport = IngestTransport.Udp) => Handle(packet, transport, null);

    private RejectReason Handle(ReadOnlySpan<byte> packet, IngestTransport transport, ReplyRoute? reply)
    {
        counters.Packet(transport, packet.Length);
        var reason = PacketCodec.TryParse(packet, out var view);
        PacketKey? key = null;
        if (reason == RejectReason.None)
        {
            // Refused packets go from relays to publishers, never the other way.
            if (view.Type == PacketType.Refused) reason = RejectReason.BadType;
            else if (!keys.TryGet(view.KeyId, out key)) reason = RejectReason.UnknownKey;
            else if (!key!.Verify(view)) reason = RejectReason.BadTag;
            else reason = table.Accept(view);
        }
        if (reason != RejectReason.None) counters.Reject(reason);
        // Control packets come a few times a second per path: enough to answer a refused encoder, never per frame.
        else if (reply is not null && view.Type is PacketType.Heartbeat or PacketType.Announce) TellIfRefused(view, key!.Secret, reply);
        return reason;
    }

    private void TellIfRefused(in PacketView view, ReadOnlySpan<byte> secret, ReplyRoute reply)
    {
        var reason = table.RefusalFor(view.Mount, view.Encoder);
        if (reason is null) return;
        var key = new RefusalKey(Encoding.UTF8.GetString(view.Mount), Encoding.UTF8.GetString(view.Encoder), view.Session, view.PathId);
        long now = Stopwatch.GetTimestamp();
        bool first;
        lock (_refusalsSent)
        {
            first = !_refusalsSent.TryGetValue(key, out long last);
            if (!first && Stopwatch.GetElapsedTime(last, now) < RefusalInterval) return;
            if (first && _refusalsSent.Count >= 4096) Forget(now);
            _refusalsSent[key] = now;
        }

        var buffer = new byte[Refusal.MaxSize(view)];
        long nowMicros = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        int length = Refusal.Write(buffer, view, (ulong)Interlocked.Increment(ref _refusalCount), nowMicros, reason, secret);
        var error = reply.Send(buffer.AsSpan(0, length));
        if (error is not null) LogRefusalNotSent(key.Encoder, key.Mount, key.PathId, reply.Describe(), error);
        else if (first) LogTellingRefused(key.Encoder, key.Mount, key.PathId, reply.Describe(), reason);
    }

    // Drops entries not used for a minute; called rarely (many refused encoder sessions or paths).
    private void Forget(long now)
    {
        foreach (var (k, at) in _refusalsSent.ToList())
            if (Stopwatch.GetElapsedTime(at, now) > TimeSpan.FromMinutes(1)) _refusalsSent.Remove(k);
    }

    private void ReceiveDatagrams(Socket socket, CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        // Replies leave by the ingest socket (a unicast source address), also for what came by multicast.
        var reply = new UdpReply(socket, socket == _udp || _udp!.AddressFamily != socket.AddressFamily ? socket : _udp);
        var transport = socket == _udp ? IngestTransport.Udp : IngestTransport.Multicast;
        while (!ct.IsCancellationRequested)
        {
            int n;
            try
            {
                // Fills the reusable address: no allocation per datagram.
                n = socket.ReceiveFrom(buffer, SocketFlags.None, reply.Address);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            catch (Exception e) when (ct.IsCancellationRequested || _stopping || e is ObjectDisposedException)
            {
                return;
            }
            Handle(buffer.AsSpan(0, n), transport, reply);
        }
    }

    private async Task AcceptTcpAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp!.AcceptTcpClientAsync(ct);
            }
            catch (Exception e) when (ct.IsCancellationRequested || _stopping || e is ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                LogAcceptFailed(e.SocketErrorCode);
                continue;
            }
            _ = Task.Run(() => ServeTcpAsync(client, ct), ct);
        }
    }

    private async Task ServeTcpAsync(TcpClient client, CancellationToken ct)
    {
        var remote = client.Client.RemoteEndPoint;
        LogTcpConnected(remote);
        long packets = 0;
        try
        {
            client.NoDelay = true;
            var stream = client.GetStream();
            var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
            var scratch = new byte[Protocol.MaxPacketSize];
            var reply = new TcpReply(remote);
            while (!ct.IsCancellationRequested)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                bool corrupt = false;
                while (StreamFraming.TryRead(ref buffer, out var packet, out corrupt))
                {
                    packets++;
                    if (packet.IsSingleSegment) Handle(packet.FirstSpan, IngestTransport.Tcp, reply);
                    else
                    {
                        packet.CopyTo(scratch);
                        Handle(scratch.AsSpan(0, (int)packet.Length), IngestTransport.Tcp, reply);
                    }
                }
                if (corrupt)
                {
                    counters.Reject(RejectReason.BadLength);
                    LogTcpCorrupt(remote);
                    break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (reply.Pending.Count > 0) await reply.FlushAsync(stream, ct);
                if (result.IsCompleted) break;
            }
            await reader.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
        }
        finally
        {
            client.Dispose();
            LogTcpClosed(remote, packets);
        }
    }

    private readonly record struct RefusalKey(string Mount, string Encoder, ulong Session, byte PathId);

    /// <summary>Where a reply to the packet being handled goes.</summary>
    private abstract class ReplyRoute
    {
        /// <summary>Sends or queues one packet; returns an error, or null.</summary>
        public abstract string? Send(ReadOnlySpan<byte> packet);

        public abstract string Describe();
    }

    /// <summary>To the address the current datagram came from.</summary>
    private sealed class UdpReply(Socket receiver, Socket sender) : ReplyRoute
    {
        public SocketAddress Address { get; } = new(receiver.AddressFamily, SocketAddress.GetMaximumAddressSize(receiver.AddressFamily));

        public override string? Send(ReadOnlySpan<byte> packet)
        {
            try
            {
                sender.SendTo(packet, SocketFlags.None, Address);
                return null;
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode.ToString();
            }
        }

        public override string Describe()
        {
            var any = new IPEndPoint(receiver.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            return $"udp {any.Create(Address)}";
        }
    }

    /// <summary>Back on the connection the packet came by, once the packets read so far are handled.</summary>
    private sealed class TcpReply(EndPoint? remote) : ReplyRoute
    {
        private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);

        public List<byte[]> Pending { get; } = [];

        public override string? Send(ReadOnlySpan<byte> packet)
        {
            var framed = new byte[StreamFraming.PrefixSize + packet.Length];
            StreamFraming.WritePrefix(framed, packet.Length);
            packet.CopyTo(framed.AsSpan(StreamFraming.PrefixSize));
            Pending.Add(framed);
            return null;
        }

        public async Task FlushAsync(Stream stream, CancellationToken ct)
        {
            // A publisher that reads nothing back must not hold up its own packets for long.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(WriteTimeout);
            foreach (var framed in Pending) await stream.WriteAsync(framed, timeout.Token);
            Pending.Clear();
        }

        public override string Describe() => $"tcp {remote}";
    }

    [LoggerMessage(LogLevel.Information, "Ingest listening on {Endpoint} (UDP and TCP)")]
    private partial void LogListening(IPEndPoint endpoint);

    [LoggerMessage(LogLevel.Information, "Ingest joined multicast group {Group} on interface {Interface}")]
    private partial void LogJoined(MulticastGroup group, IPAddress @interface);

    [LoggerMessage(LogLevel.Warning, "Ingest TCP accept failed: {Error}")]
    private partial void LogAcceptFailed(SocketError error);

    [LoggerMessage(LogLevel.Information, "Publisher connected over TCP from {Remote}")]
    private partial void LogTcpConnected(EndPoint? remote);

    [LoggerMessage(LogLevel.Information, "Publisher TCP connection from {Remote} closed after {Packets} packets")]
    private partial void LogTcpClosed(EndPoint? remote, long packets);

    [LoggerMessage(LogLevel.Warning, "Publisher TCP stream from {Remote} is corrupt (bad length prefix); closing it")]
    private partial void LogTcpCorrupt(EndPoint? remote);

    [LoggerMessage(LogLevel.Information, "Telling encoder {Encoder} of mount {Mount} on path {PathId} ({Route}) that the mount refuses it: {Reason}")]
    private partial void LogTellingRefused(string encoder, string mount, byte pathId, string route, string reason);

    [LoggerMessage(LogLevel.Debug, "Cannot tell encoder {Encoder} of mount {Mount} on path {PathId} ({Route}) that it is refused: {Error}")]
    private partial void LogRefusalNotSent(string encoder, string mount, byte pathId, string route, string error);
}
