using System.Net.Sockets;
using System.Text;

namespace Davecast.Bench.Harness;

public sealed record RelayNode(string Name, int IngestPort, int SiloPort, int GatewayPort, int DashboardPort, Child Process);

public sealed record EdgeNode(string Name, int Port, Child Process);

/// <summary>
/// Relay silos and an edge gateway as real processes on loopback ports, with a redis-server for membership (or
/// localhost clustering). Disposing stops all of them.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly List<Child> _owned = [];
    private string[] _relayArgs = [];

    private Cluster(BenchContext context, string logDirectory)
    {
        Context = context;
        LogDirectory = logDirectory;
    }

    public BenchContext Context { get; }

    public string LogDirectory { get; }

    public List<RelayNode> Relays { get; } = [];

    public EdgeNode Edge { get; private set; } = null!;

    public Child? Redis { get; private set; }

    public int RedisPort { get; private set; }

    public static async Task<Cluster> StartAsync(
        BenchContext context, string logDirectory, int relays = 2, IEnumerable<string>? edgeArgs = null, IEnumerable<string>? relayArgs = null)
    {
        var cluster = new Cluster(context, logDirectory) { _relayArgs = [.. relayArgs ?? []] };
        try
        {
            if (context.Clustering == "redis") await cluster.StartRedisAsync();
            // With Redis the relays find each other there and may start together; with localhost clustering the first one is the primary.
            if (cluster.Redis is not null) await Task.WhenAll(Enumerable.Range(0, relays).Select(i => cluster.StartRelayAsync($"relay-{(char)('a' + i)}")));
            else for (int i = 0; i < relays; i++) await cluster.StartRelayAsync($"relay-{(char)('a' + i)}");
            await cluster.StartEdgeAsync("edge-1", edgeArgs ?? []);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public IEnumerable<Child> Processes => _owned;

    private async Task StartRedisAsync()
    {
        RedisPort = Ports.Free();
        var dir = Directory.CreateTempSubdirectory("davecast-bench-redis-").FullName;
        Redis = Own(Child.Start("redis", "redis-server",
        [
            "--port", $"{RedisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
            "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
        ], LogDirectory));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", RedisPort);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[16];
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                int n = await stream.ReadAsync(buffer, cts.Token);
                if (Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal)) return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
            }
            if (Redis.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException($"redis-server did not start:\n{Redis.Tail(20)}");
            await Task.Delay(100);
        }
    }

    public async Task<RelayNode> StartRelayAsync(string name)
    {
        int ingest = Ports.Free(), silo = Ports.Free(), gateway = Ports.Free(), dashboard = Ports.Free(), feed = Ports.Free();
        var args = new List<string>
        {
            "--name", name, "--ingest-port", $"{ingest}", "--ingest-address", "127.0.0.1", "--silo-port", $"{silo}",
            "--gateway-port", $"{gateway}", "--dashboard-port", $"{dashboard}", "--feed-port", $"{feed}", "--cluster-id", Context.ClusterId,
            "--key", $"{Context.KeyId}={Context.Key}", "--admin-password", Context.AdminPassword,
            // One load generator plays every studio: its mounts share one key and its connections one address.
            "--max-mounts-per-key", "100000", "--ingest-max-connections-per-address", "100000",
        };
        if (Redis is not null) args.AddRange(["--clustering", "redis", "--redis", $"127.0.0.1:{RedisPort}", "--advertise", "127.0.0.1"]);
        else args.AddRange(["--clustering", "localhost", "--primary-silo", $"127.0.0.1:{Relays.FirstOrDefault()?.SiloPort ?? silo}"]);
        args.AddRange(_relayArgs);
        var process = Own(Context.StartDotnet(name, Context.ProgramDll("silo", "davecast-silo"), args, LogDirectory));
        await process.WaitForLineAsync("Application started", TimeSpan.FromSeconds(90));
        var relay = new RelayNode(name, ingest, silo, gateway, dashboard, process);
        lock (Relays)
        {
            Relays.Add(relay);
            Relays.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        }
        return relay;
    }

    private async Task StartEdgeAsync(string name, IEnumerable<string> extra)
    {
        int port = Ports.Free();
        var args = new List<string>
        {
            "--name", name, "--port", $"{port}", "--address", "127.0.0.1", "--cluster-id", Context.ClusterId,
            "--relay-password", Context.RelayPassword, "--admin-password", Context.AdminPassword,
            // Every load listener comes from 127.0.0.1.
            "--max-connections-per-address", "0",
        };
        if (Redis is not null) args.AddRange(["--clustering", "redis", "--redis", $"127.0.0.1:{RedisPort}"]);
        else foreach (var r in Relays) args.AddRange(["--gateway", $"127.0.0.1:{r.GatewayPort}"]);
        args.AddRange(extra);
        var process = Own(Context.StartDotnet(name, Context.ProgramDll("edge-gateway", "davecast-edge"), args, LogDirectory));
        await process.WaitForLineAsync("Application started", TimeSpan.FromSeconds(90));
        Edge = new EdgeNode(name, port, process);
    }

    public Child Own(Child child)
    {
        lock (_owned) _owned.Add(child);
        return child;
    }

    public async ValueTask DisposeAsync()
    {
        List<Child> all;
        lock (_owned) all = [.. _owned];
        await Child.StopAllAsync(all);
    }
}
