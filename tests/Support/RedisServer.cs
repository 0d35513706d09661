using System.Net.Sockets;

namespace Davecast.Tests.Support;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, without persistence, in a temporary directory: the
/// membership table of a <see cref="Deployment"/> (<c>new Deployment { Redis = redis.ConnectionString }</c>).
/// Disposing kills it and removes the directory.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    private RedisServer(int port, string directory, ChildProcess process)
    {
        Port = port;
        _directory = directory;
        _process = process;
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis connection string, as <c>--redis</c> takes it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    public static async Task<RedisServer> StartAsync(TimeSpan? timeout = null)
    {
        var exe = ExternalTools.Require("redis-server");
        int port = Ports.Free();
        var dir = Directory.CreateTempSubdirectory("davecast-redis-").FullName;
        var process = new ChildProcess("redis", exe,
        [
            "--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", dir, "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
        ]);
        var server = new RedisServer(port, dir, process);
        try
        {
            await server.WaitUntilAnswersAsync(timeout ?? TimeSpan.FromSeconds(20));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends PING over the RESP protocol until PONG comes back.</summary>
    private async Task WaitUntilAnswersAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited ({_process.ExitCode}):\n{_process.Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[64];
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                int n = await stream.ReadAsync(buffer, cts.Token);
                last = System.Text.Encoding.ASCII.GetString(buffer, 0, n).Trim();
                if (last == "+PONG") return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"redis-server on port {Port} did not answer PING within {timeout} (last: {last}):\n{_process.Output}");
    }

    public ValueTask DisposeAsync()
    {
        _process.Kill9();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
