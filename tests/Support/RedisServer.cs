using System.Net.Sockets;

namespace Davecast.Tests.Support;

/// <summary>
/// A real <c>redis-server</c> on a free port, without persistence, in a temporary directory: the membership table of a
/// <see cref="Deployment"/> (<c>new Deployment { Redis = redis.ConnectionString }</c>). On loopback, or at a site of
/// <see cref="NetworkSites"/> on that site's address. It can be killed (<see cref="Kill9"/>) and started again on the
/// same address and port (<see cref="RestartAsync"/>), empty, as a crashed redis-server without persistence comes back.
/// Disposing kills it and removes the directory.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Func<ChildProcess> _start;
    private readonly string _directory;
    private readonly System.Text.StringBuilder _earlierOutput = new();
    private ChildProcess _process;

    private RedisServer(string host, int port, string directory, Func<ChildProcess> start)
    {
        Host = host;
        Port = port;
        _directory = directory;
        _start = start;
        _process = start();
    }

    /// <summary>The address it listens on: 127.0.0.1, or its site's address.</summary>
    public string Host { get; }

    public int Port { get; }

    /// <summary>StackExchange.Redis connection string, as <c>--redis</c> takes it.</summary>
    public string ConnectionString => $"{Host}:{Port}";

    /// <summary>The output of every run so far.</summary>
    public string Output => _earlierOutput + _process.Output;

    public bool HasExited => _process.HasExited;

    /// <summary>The running redis-server's process id (a new one after <see cref="RestartAsync"/>).</summary>
    public int Pid => _process.Pid;

    /// <summary>Starts one on a free loopback port.</summary>
    public static Task<RedisServer> StartAsync(TimeSpan? timeout = null) =>
        StartAtAsync(null, timeout);

    /// <summary>Starts one inside <paramref name="site"/>'s namespace, listening on the site's address only.</summary>
    public static Task<RedisServer> StartAsync(NetworkSite site, TimeSpan? timeout = null) =>
        StartAtAsync(site, timeout);

    private static async Task<RedisServer> StartAtAsync(NetworkSite? site, TimeSpan? timeout)
    {
        var exe = ExternalTools.Require("redis-server");
        int port = Ports.Free();
        string host = site?.Address ?? "127.0.0.1";
        var dir = Directory.CreateTempSubdirectory("davecast-redis-").FullName;
        string[] args =
        [
            // A site's Redis keeps an append-only file, as a production membership table must: killed and started
            // again, it comes back with the silos' rows, not empty.
            "--port", $"{port}", "--bind", host, "--save", "", "--appendonly", site is null ? "no" : "yes", "--appendfsync", "everysec",
            "--dir", dir, "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
        ];
        var server = new RedisServer(host, port, dir,
            site is null ? () => new ChildProcess("redis", exe, args) : () => ChildProcess.In(site.Namespace, $"redis@{site.Name}", exe, args));
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

    /// <summary>SIGKILL: it dies at once, as in a crash; its address and port stop answering.</summary>
    public void Kill9() => _process.Kill9();

    /// <summary>Starts it again (empty on loopback; a site's with its append-only file) on the same address and port (killing it first if it still runs); returns once it answers PING.</summary>
    public async Task RestartAsync(TimeSpan? timeout = null)
    {
        _process.Kill9();
        _earlierOutput.Append(_process.Output);
        _process.Dispose();
        _process = _start();
        await WaitUntilAnswersAsync(timeout ?? TimeSpan.FromSeconds(20));
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
                await client.ConnectAsync(Host, Port);
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
        throw new TimeoutException($"redis-server on {ConnectionString} did not answer PING within {timeout} (last: {last}):\n{_process.Output}");
    }

    /// <summary>The keys matching a glob pattern: what grain storage has written.</summary>
    public async Task<IReadOnlyList<string>> KeysAsync(string pattern)
    {
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(ConnectionString);
        var keys = new List<string>();
        await foreach (var key in connection.GetServer(ConnectionString).KeysAsync(pattern: pattern)) keys.Add(key.ToString());
        return keys;
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
