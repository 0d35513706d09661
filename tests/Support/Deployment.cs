namespace Davecast.Tests.Support;

/// <summary>
/// Starts the real programs (relay silos, edge gateways, publishers) as separate processes on loopback ports,
/// and kills whatever is left when disposed. Output of every process is kept for failure messages.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes = [];
    private readonly Dictionary<string, Relay> _relays = [];

    public sealed record Relay(string Name, int IngestPort, int SiloPort, int GatewayPort, int DashboardPort, ChildProcess Process);

    public sealed record Edge(int Port, ChildProcess Process)
    {
        public string Url(string mount) => $"http://127.0.0.1:{Port}/{mount}";
    }

    /// <summary>Membership for every silo and edge: null for localhost clustering, else a Redis connection string.</summary>
    public string? Redis { get; init; }

    public string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    public IReadOnlyCollection<Relay> Relays => _relays.Values;

    public Relay this[string name] => _relays[name];

    public async Task<Relay> StartRelayAsync(string name, params string[] extra)
    {
        int ingest = Ports.Free(), silo = Ports.Free(), gateway = Ports.Free(), dashboard = Ports.Free();
        var args = new List<string>
        {
            "--name", name, "--ingest-port", $"{ingest}", "--ingest-address", "127.0.0.1", "--silo-port", $"{silo}",
            "--gateway-port", $"{gateway}", "--dashboard-port", $"{dashboard}", "--cluster-id", ClusterId,
        };
        if (Redis is null)
        {
            var primary = _relays.Values.FirstOrDefault()?.SiloPort ?? silo;
            args.AddRange(["--clustering", "localhost", "--primary-silo", $"127.0.0.1:{primary}"]);
        }
        else
        {
            args.AddRange(["--clustering", "redis", "--redis", Redis]);
        }
        args.AddRange(extra);
        var process = Track(ChildProcess.Dotnet(name, Repo.ProgramDll("silo", "davecast-silo"), [.. args]));
        var relay = new Relay(name, ingest, silo, gateway, dashboard, process);
        _relays[name] = relay;
        await process.WaitForOutputAsync("Application started", TimeSpan.FromSeconds(60));
        return relay;
    }

    public async Task<Edge> StartEdgeAsync(params string[] extra)
    {
        int port = Ports.Free();
        var args = new List<string> { "--port", $"{port}", "--address", "127.0.0.1", "--cluster-id", ClusterId };
        if (Redis is null)
            foreach (var r in _relays.Values) args.AddRange(["--gateway", $"127.0.0.1:{r.GatewayPort}"]);
        else
            args.AddRange(["--clustering", "redis", "--redis", Redis]);
        args.AddRange(extra);
        var process = Track(ChildProcess.Dotnet("edge", Repo.ProgramDll("edge-gateway", "davecast-edge"), [.. args]));
        await process.WaitForOutputAsync("Application started", TimeSpan.FromSeconds(60));
        return new Edge(port, process);
    }

    /// <summary>A publisher sending to every relay started so far (or the ones named).</summary>
    public ChildProcess StartPublisher(string encoder, string mount, string file, int priority, IEnumerable<Relay>? to = null, params string[] extra)
    {
        var args = new List<string> { "--mount", mount, "--encoder", encoder, "--priority", $"{priority}", "--file", file, "--loop" };
        foreach (var r in to ?? _relays.Values) args.AddRange(["--relay", $"127.0.0.1:{r.IngestPort}"]);
        args.AddRange(extra);
        return Track(ChildProcess.Dotnet(encoder, Repo.ProgramDll("publisher", "davecast-publisher"), [.. args]));
    }

    public ChildProcess Track(ChildProcess p)
    {
        lock (_processes) _processes.Add(p);
        return p;
    }

    /// <summary>Every process's output, for a failure message.</summary>
    public string Logs()
    {
        lock (_processes)
            return string.Join("\n", _processes.Select(p => $"===== {p.Name} =====\n{Tail(p.Output, 60)}"));
    }

    private static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public ValueTask DisposeAsync()
    {
        lock (_processes)
        {
            foreach (var p in _processes) p.Dispose();
            _processes.Clear();
        }
        return ValueTask.CompletedTask;
    }
}
