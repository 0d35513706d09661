using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Davecast.Wire;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Ingest;

/// <summary>
/// Receives publisher packets on one port, over UDP (a packet per datagram) and TCP (length-prefixed packets).
/// Every packet is checked (structure, key, tag, frames) before its frames reach the <see cref="MountTable"/>.
/// </summary>
public sealed partial class IngestListener(
    IOptions<RelayOptions> options,
    MountTable table,
    KeyRing keys,
    IngestCounters counters,
    ILogger<IngestListener> logger) : BackgroundService
{
    private readonly RelayOptions _options = options.Value;
    private Socket? _udp;
    private TcpListener? _tcp;

    /// <summary>The bound endpoint, known once started (port 0 picks a free one).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

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
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            Task.Factory.StartNew(() => ReceiveUdp(stoppingToken), TaskCreationOptions.LongRunning),
            AcceptTcpAsync(stoppingToken));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _tcp?.Stop();
        _udp?.Dispose();
        await base.StopAsync(cancellationToken);
    }

    /// <summary>Checks and takes one packet from any transport.</summary>
    public RejectReason Handle(ReadOnlySpan<byte> packet)
    {
        counters.Packet(packet.Length);
        var reason = PacketCodec.TryParse(packet, out var view);
        if (reason == RejectReason.None)
        {
            if (!keys.TryGet(view.KeyId, out var secret)) reason = RejectReason.UnknownKey;
            else if (!PacketCodec.VerifyTag(view, secret)) reason = RejectReason.BadTag;
            else reason = table.Accept(view);
        }
        if (reason != RejectReason.None) counters.Reject(reason);
        return reason;
    }

    private void ReceiveUdp(CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        EndPoint any = new IPEndPoint(_udp!.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            int n;
            try
            {
                n = _udp.ReceiveFrom(buffer, ref any);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Handle(buffer.AsSpan(0, n));
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
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
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
            var reader = PipeReader.Create(client.GetStream(), new StreamPipeReaderOptions(bufferSize: 64 * 1024));
            var scratch = new byte[Protocol.MaxPacketSize];
            while (!ct.IsCancellationRequested)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                bool corrupt = false;
                while (StreamFraming.TryRead(ref buffer, out var packet, out corrupt))
                {
                    packets++;
                    if (packet.IsSingleSegment) Handle(packet.FirstSpan);
                    else
                    {
                        packet.CopyTo(scratch);
                        Handle(scratch.AsSpan(0, (int)packet.Length));
                    }
                }
                if (corrupt)
                {
                    counters.Reject(RejectReason.BadLength);
                    LogTcpCorrupt(remote);
                    break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
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

    [LoggerMessage(LogLevel.Information, "Ingest listening on {Endpoint} (UDP and TCP)")]
    private partial void LogListening(IPEndPoint endpoint);

    [LoggerMessage(LogLevel.Warning, "Ingest TCP accept failed: {Error}")]
    private partial void LogAcceptFailed(SocketError error);

    [LoggerMessage(LogLevel.Information, "Publisher connected over TCP from {Remote}")]
    private partial void LogTcpConnected(EndPoint? remote);

    [LoggerMessage(LogLevel.Information, "Publisher TCP connection from {Remote} closed after {Packets} packets")]
    private partial void LogTcpClosed(EndPoint? remote, long packets);

    [LoggerMessage(LogLevel.Warning, "Publisher TCP stream from {Remote} is corrupt (bad length prefix); closing it")]
    private partial void LogTcpCorrupt(EndPoint? remote);
}
