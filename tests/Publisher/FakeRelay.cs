using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Davecast.Wire;

namespace Davecast.Tests.Publisher;

/// <summary>
/// A relay's ingest as the publisher sees it: a UDP socket and a TCP listener on one loopback port, keeping
/// every packet received. The TCP side can be closed and reopened on the same port.
/// </summary>
internal sealed class FakeRelay : IAsyncDisposable
{
    private readonly Socket _udp;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly List<Task> _loops = [];
    private TcpListener? _listener;
    private int _connections;
    private int _ended;

    private FakeRelay(Socket udp, TcpListener listener, int port)
    {
        _udp = udp;
        Port = port;
        StartTcp(listener);
        _loops.Add(ReceiveUdpAsync());
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public ConcurrentQueue<WirePacket> Udp { get; } = new();

    public ConcurrentQueue<WirePacket> Tcp { get; } = new();

    /// <summary>TCP connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>TCP connections that have ended (closed by either side).</summary>
    public int EndedConnections => Volatile.Read(ref _ended);

    /// <summary>A TCP stream that broke the length-prefix framing.</summary>
    public bool CorruptStream { get; private set; }

    public static FakeRelay Start()
    {
        for (int attempt = 0; ; attempt++)
        {
            var listener = NewListener(0);
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return new FakeRelay(udp, listener, port);
            }
            catch (SocketException) when (attempt < 50)
            {
                udp.Dispose();
                listener.Stop();
            }
        }
    }

    /// <summary>Stops listening and closes every TCP connection, as a relay that dies does.</summary>
    public void CloseTcp()
    {
        _listener?.Stop();
        _listener = null;
        lock (_clients)
        {
            foreach (var c in _clients) c.Dispose();
            _clients.Clear();
        }
    }

    public void ReopenTcp() => StartTcp(NewListener(Port));

    private static TcpListener NewListener(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return listener;
    }

    private void StartTcp(TcpListener listener)
    {
        _listener = listener;
        lock (_loops) _loops.Add(AcceptAsync(listener));
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(_stop.Token);
                int connection = Interlocked.Increment(ref _connections);
                lock (_clients) _clients.Add(client);
                lock (_loops) _loops.Add(ReadTcpAsync(client, connection));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ReadTcpAsync(TcpClient client, int connection)
    {
        try
        {
            var reader = PipeReader.Create(client.GetStream());
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                while (StreamFraming.TryRead(ref buffer, out var packet, out bool corrupt) || corrupt)
                {
                    if (corrupt)
                    {
                        CorruptStream = true;
                        return;
                    }
                    Tcp.Enqueue(new WirePacket(packet.ToArray(), connection));
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Interlocked.Increment(ref _ended);
        }
    }

    private async Task ReceiveUdpAsync()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                int n = await _udp.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                Udp.Enqueue(new WirePacket(buffer[..n], 0));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        CloseTcp();
        _udp.Dispose();
        Task[] loops;
        lock (_loops) loops = [.. _loops];
        await Task.WhenAll(loops);
        _stop.Dispose();
    }
}
