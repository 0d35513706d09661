using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Davecast.Tests.Support;

/// <summary>
/// A raw TCP connection from any loopback address (127.0.0.x), as a stranger holds one: silent, trickling or
/// oversized; it tells when the server has closed it.
/// </summary>
public sealed class StrangerSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly MemoryStream _received = new();
    private int _sent;

    private StrangerSocket(Socket socket) => _socket = socket;

    /// <param name="from">The local address to connect from: every 127.0.0.x reaches loopback on Linux.</param>
    public static async Task<StrangerSocket> ConnectAsync(int port, string from = "127.0.0.1")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return new StrangerSocket(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Bytes sent so far by <see cref="TrickleAsync"/>.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>What the server answered before it closed the connection.</summary>
    public string Received => Encoding.Latin1.GetString(_received.ToArray());

    public async Task SendAsync(string text) => await _socket.SendAsync(Encoding.Latin1.GetBytes(text));

    /// <summary>Whether the server closes (or resets) the connection within <paramref name="timeout"/>; what it sent is kept.</summary>
    public async Task<bool> ClosedWithinAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer, deadline.Token);
                if (n == 0) return true;
                _received.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/> one byte every <paramref name="every"/>, as a slowloris client does, until the
    /// server closes the connection (true) or <paramref name="timeout"/> passes (false); with the bytes sent.
    /// </summary>
    public async Task<(bool Closed, int Sent)> TrickleAsync(string text, TimeSpan every, TimeSpan timeout)
    {
        var closed = ClosedWithinAsync(timeout);
        var bytes = Encoding.Latin1.GetBytes(text);
        try
        {
            while (!closed.IsCompleted && Sent < bytes.Length)
            {
                await _socket.SendAsync(bytes.AsMemory(Sent, 1));
                Interlocked.Increment(ref _sent);
                await Task.WhenAny(closed, Task.Delay(every));
            }
        }
        catch (SocketException)
        {
        }
        return (await closed, Sent);
    }

    public void Dispose() => _socket.Dispose();
}
