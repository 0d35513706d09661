using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Davecast.Icy;

namespace Davecast.Tests.Publisher;

/// <summary>
/// An Icecast server's mount as a publisher pulls it: a loopback TCP listener that reads each request and sends the
/// answer that a script gives for that connection (1, 2, ...), then closes the connection.
/// </summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, Answer> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private int _connections;

    private FakeUpstream(Func<int, Answer> script)
    {
        _script = script;
        _listener.Start();
        _tasks.Add(AcceptAsync());
    }

    /// <summary>What one connection gets: the status line and headers, then the body.</summary>
    public sealed record Answer(string Head, byte[] Body)
    {
        public static Answer Status(string status) => new($"HTTP/1.0 {status}\r\nContent-Type: text/plain\r\n", Encoding.ASCII.GetBytes(status));
    }

    public static FakeUpstream Start(Func<int, Answer> script) => new(script);

    public string Url(string mount) => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{mount}";

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The request heads received, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// <paramref name="audio"/> with an ICY metadata block after every <paramref name="interval"/> bytes, as Icecast
    /// sends it: block k (from 1) sits at audio position k × interval and carries <paramref name="titles"/>[k], or nothing.
    /// </summary>
    public static byte[] WithMetadata(ReadOnlySpan<byte> audio, int interval, IReadOnlyDictionary<int, string> titles)
    {
        var output = new MemoryStream();
        for (int at = 0, block = 1; at < audio.Length; block++)
        {
            int n = Math.Min(interval, audio.Length - at);
            output.Write(audio.Slice(at, n));
            at += n;
            if (n == interval) output.Write(titles.TryGetValue(block, out var title) ? IcyMetadata.TitleBlock(title) : [0]);
        }
        return output.ToArray();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                int connection = Interlocked.Increment(ref _connections);
                lock (_tasks) _tasks.Add(ServeAsync(client, connection));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client, int connection)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one, _stop.Token) == 1)
                head.Append((char)one[0]);
            Requests.Enqueue(head.ToString());
            var answer = _script(connection);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(answer.Head + "\r\n\r\n"), _stop.Token);
            await stream.WriteAsync(answer.Body, _stop.Token);
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Task[] tasks;
        lock (_tasks) tasks = [.. _tasks];
        await Task.WhenAll(tasks);
        _stop.Dispose();
    }
}
