using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Davecast.Tests.Publisher;

/// <summary>A source client written by hand: one TCP connection to a publisher's --listen-source port.</summary>
internal sealed class RawSourceClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly MemoryStream _received = new();

    private RawSourceClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawSourceClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new RawSourceClient(tcp);
    }

    public static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] data) => await _stream.WriteAsync(data);

    /// <summary>Ends the body: the publisher reads the end of the stream.</summary>
    public void EndBody() => _tcp.Client.Shutdown(SocketShutdown.Send);

    /// <summary>All received so far once it contains <paramref name="end"/>.</summary>
    public async Task<string> ReadUntilAsync(string end)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        while (!Text.Contains(end, StringComparison.Ordinal))
        {
            int n = await _stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) throw new IOException($"closed before '{end}'; received: {Text}");
            _received.Write(buffer, 0, n);
        }
        return Text;
    }

    /// <summary>Everything received until the publisher closes the connection.</summary>
    public async Task<string> ReadToEndAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _stream.CopyToAsync(_received, timeout.Token);
        return Text;
    }

    private string Text => Encoding.UTF8.GetString(_received.ToArray());

    public void Dispose() => _tcp.Dispose();
}
