namespace Davecast.Tests.Support;

/// <summary>
/// Starts the real programs (relay silos, edge gateways, publishers) as separate processes on loopback ports,
/// and kills whatever is left when disposed. Output of every process is kept for failure messages.
/// Each Start method starts its program before it first waits: an edge started while the last relay still starts
/// knows that relay's gateway and reaches it once it is up (it tries its site every second), so their start-ups
/// overlap instead of adding up. Relays of localhost clustering start one after the other: a secondary that
/// starts before the primary silo listens may fail to join.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes = [];
    private readonly Dictionary<string, Relay> _relays = [];
    private readonly Dictionary<string, string[]> _relayArgs = [];
    private readonly Dictionary<string, string?> _relayNamespaces = [];
    private readonly List<Edge> _edges = [];
    private readonly List<(string Name, Func<string> Output)> _observed = [];
    private static string? _publisherHelp;

    public sealed record Relay(string Name, int IngestPort, int SiloPort, int GatewayPort, int DashboardPort, ChildProcess Process)
    {
        /// <summary>The address its ports listen on: loopback, or its site's address in a network namespace.</summary>
        public string Address { get; init; } = "127.0.0.1";

        /// <summary>Its site, in a multi-site deployment.</summary>
        public string? Site { get; init; }
    }

    public sealed record Edge(int Port, ChildProcess Process)
    {
        /// <summary>The edge's <c>--name</c> (in mount health).</summary>
        public string Name { get; init; } = Process.Name;

        /// <summary>The address its HTTP port listens on.</summary>
        public string Address { get; init; } = "127.0.0.1";

        public string HealthUrl => $"http://{Address}:{Port}/davecast/health";

        public string Url(string mount) => $"http://{Address}:{Port}/{mount}";
    }

    /// <summary>
    /// One site of a multi-site deployment: its own Orleans cluster (id: its name) with its own Redis, and the network
    /// namespace its processes run in (null: this machine's loopback).
    /// </summary>
    public sealed record Site(string Name, NetworkSite? Net, string Redis)
    {
        public string Address => Net?.Address ?? "127.0.0.1";

        /// <summary>The edge's <c>--site</c> value for it.</summary>
        public string EdgeOption => $"{Name}=redis:{Redis}";
    }

    private ChildProcess StartIn(string? netns, string name, string program, string dll, string[] args) =>
        netns is null ? ChildProcess.Dotnet(name, Repo.ProgramDll(program, dll), args) : ChildProcess.DotnetIn(netns, name, Repo.ProgramDll(program, dll), args);

    /// <summary>A relay of <paramref name="site"/>: in its namespace, on its address, in its own cluster.</summary>
    public Task<Relay> StartRelayAsync(string name, Site site, params string[] extra) => LaunchRelayAsync(name, site, extra);

    /// <summary>An edge at <paramref name="at"/> that follows every site of <paramref name="sites"/>.</summary>
    public async Task<Edge> StartEdgeAsync(string name, Site at, IEnumerable<Site> sites, params string[] extra)
    {
        int port = Ports.Free();
        var args = new List<string> { "--port", $"{port}", "--address", at.Address, "--name", name };
        foreach (var site in sites) args.AddRange(["--site", site.EdgeOption]);
        AddUnlessGiven(args, extra, ("--relay-password", RelayPassword), ("--admin-password", AdminPassword));
        args.AddRange(extra);
        var process = Track(StartIn(at.Net?.Namespace, name, "edge-gateway", "davecast-edge", [.. args]));
        var edge = new Edge(port, process) { Address = at.Address };
        lock (_edges) _edges.Add(edge);
        await process.WaitForOutputAsync("Application started", TimeSpan.FromSeconds(60));
        return edge;
    }

    /// <summary>
    /// A publisher of a looped file in <paramref name="studio"/>'s namespace (null: this machine), sending to the
    /// relays named (by their site addresses), with <c>--start-at</c> when given.
    /// </summary>
    public ChildProcess StartPublisherIn(NetworkSite? studio, string encoder, string mount, string file, int priority, IEnumerable<Relay> to,
        DateTimeOffset? startAt = null, params string[] extra) =>
        StartFilePublisher(studio?.Namespace, encoder, mount, file, priority, to.Select(r => $"{r.Address}:{r.IngestPort}"), startAt, extra);

    /// <summary>Membership for every silo and edge: null for localhost clustering, else a Redis connection string.</summary>
    public string? Redis { get; init; }

    public string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The publishers' HMAC key (id and secret) that every relay of this deployment knows.</summary>
    public string KeyId { get; } = "deploy";
    public string Key { get; } = "key-" + Guid.NewGuid().ToString("N");

    /// <summary>The edges' passwords, for /admin/streamlist.txt (user "relay") and /admin/metadata (user "admin").</summary>
    public string RelayPassword { get; } = "relay-" + Guid.NewGuid().ToString("N")[..12];
    public string AdminPassword { get; } = "admin-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// The programs run as in production (no development secrets): each gets this deployment's secrets, unless the
    /// test passes the option itself.
    /// </summary>
    private static void AddUnlessGiven(List<string> args, IReadOnlyCollection<string> extra, params (string Option, string Value)[] defaults)
    {
        foreach (var (option, value) in defaults)
            if (!extra.Contains(option)) args.AddRange([option, value]);
    }

    public IReadOnlyCollection<Relay> Relays => _relays.Values;

    public Relay this[string name] => _relays[name];

    public IReadOnlyList<Edge> Edges
    {
        get
        {
            lock (_edges) return [.. _edges];
        }
    }

    public Task<Relay> StartRelayAsync(string name, params string[] extra) => LaunchRelayAsync(name, null, extra);

    /// <summary>
    /// A relay on loopback in this deployment's one cluster (<paramref name="site"/> null), or at a site: in its
    /// namespace, on its address, in its own cluster with its own Redis.
    /// </summary>
    private async Task<Relay> LaunchRelayAsync(string name, Site? site, string[] extra)
    {
        int ingest = Ports.Free(), silo = Ports.Free(), dashboard = Ports.Free(), feed = Ports.Free();
        // A gateway port the test chose (an edge already pointed at it) is kept; else a free one.
        int givenGateway = Array.IndexOf(extra, "--gateway-port");
        int gateway = givenGateway >= 0 ? int.Parse(extra[givenGateway + 1], System.Globalization.CultureInfo.InvariantCulture) : Ports.Free();
        string address = site?.Address ?? "127.0.0.1";
        var args = new List<string>
        {
            "--name", name, "--ingest-port", $"{ingest}", "--ingest-address", address, "--advertise", address, "--silo-port", $"{silo}",
            "--dashboard-port", $"{dashboard}", "--feed-port", $"{feed}",
        };
        if (givenGateway < 0) args.AddRange(["--gateway-port", $"{gateway}"]);
        if (site is not null)
            args.AddRange(["--site", site.Name, "--clustering", "redis", "--redis", site.Redis]);
        else if (Redis is null)
            args.AddRange(["--cluster-id", ClusterId, "--clustering", "localhost", "--primary-silo", $"127.0.0.1:{_relays.Values.FirstOrDefault()?.SiloPort ?? silo}"]);
        else
            args.AddRange(["--cluster-id", ClusterId, "--clustering", "redis", "--redis", Redis]);
        AddUnlessGiven(args, extra, ("--key", $"{KeyId}={Key}"), ("--admin-password", AdminPassword));
        args.AddRange(extra);
        _relayArgs[name] = [.. args];
        _relayNamespaces[name] = site?.Net?.Namespace;
        var process = Track(StartIn(site?.Net?.Namespace, name, "silo", "davecast-silo", [.. args]));
        var relay = new Relay(name, ingest, silo, gateway, dashboard, process) { Address = address, Site = site?.Name };
        _relays[name] = relay;
        await process.WaitForOutputAsync("Application started", TimeSpan.FromSeconds(60));
        return relay;
    }

    /// <summary>SIGKILL to a relay silo (it stays in <see cref="Relays"/> with its ports, for a restart).</summary>
    public void KillRelay(string name) => _relays[name].Process.Kill9();

    /// <summary>
    /// Starts a relay again with the same name, ports and options as before (killing the old process first if it
    /// still runs). Its output is kept under the name "name#2", "name#3"...
    /// </summary>
    public async Task<Relay> RestartRelayAsync(string name)
    {
        var old = _relays[name];
        old.Process.Kill9();
        int generation;
        lock (_processes) generation = _processes.Count(p => p.Name == name || p.Name.StartsWith(name + "#", StringComparison.Ordinal)) + 1;
        _relayNamespaces.TryGetValue(name, out var netns);
        var process = Track(StartIn(netns, $"{name}#{generation}", "silo", "davecast-silo", _relayArgs[name]));
        var relay = old with { Process = process };
        _relays[name] = relay;
        await process.WaitForOutputAsync("Application started", TimeSpan.FromSeconds(60));
        return relay;
    }

    /// <summary>Starts an edge gateway; unless <paramref name="extra"/> names it (--name), it is "edge-1", "edge-2"...</summary>
    public Task<Edge> StartEdgeAsync(params string[] extra) => StartEdgeInAsync(null, extra);

    /// <summary>An edge with more environment variables (e.g. DOTNET_ENVIRONMENT), named as <see cref="StartEdgeAsync(string[])"/> does.</summary>
    public async Task<Edge> StartEdgeInAsync(IDictionary<string, string>? environment, params string[] extra)
    {
        int port = Ports.Free();
        string name;
        lock (_edges) name = $"edge-{_edges.Count + 1}";
        int named = Array.IndexOf(extra, "--name");
        if (named >= 0 && named + 1 < extra.Length) name = extra[named + 1];
        var args = new List<string> { "--port", $"{port}", "--address", "127.0.0.1", "--cluster-id", ClusterId };
        if (named < 0) args.AddRange(["--name", name]);
        if (Redis is null)
            foreach (var r in _relays.Values) args.AddRange(["--gateway", $"127.0.0.1:{r.GatewayPort}"]);
        else
            args.AddRange(["--clustering", "redis", "--redis", Redis]);
        AddUnlessGiven(args, extra, ("--relay-password", RelayPassword), ("--admin-password", AdminPassword));
        args.AddRange(extra);
        var process = Track(new ChildProcess(name, "dotnet", [Repo.ProgramDll("edge-gateway", "davecast-edge"), .. args], environment));
        var edge = new Edge(port, process);
        lock (_edges) _edges.Add(edge);
        await process.WaitForOutputAsync("Application started", TimeSpan.FromSeconds(60));
        return edge;
    }

    /// <summary>A publisher of a looped file, sending to every relay started so far (or the ones named).</summary>
    public ChildProcess StartPublisher(string encoder, string mount, string file, int priority, IEnumerable<Relay>? to = null, params string[] extra) =>
        StartPublisherWith(encoder, mount, priority, ["--file", file, "--loop"], to, extra);

    /// <summary>
    /// A publisher with any source (for example <c>--source-url URL</c>, or <c>--listen-source host:port</c>),
    /// sending to every relay started so far (or the ones named). Its output is kept under the encoder's name.
    /// </summary>
    public ChildProcess StartPublisherWith(string encoder, string mount, int priority, IEnumerable<string> source,
        IEnumerable<Relay>? to = null, params string[] extra)
    {
        var args = new List<string> { "--mount", mount, "--encoder", encoder, "--priority", $"{priority}" };
        args.AddRange(source);
        foreach (var r in to ?? _relays.Values) args.AddRange(["--relay", $"127.0.0.1:{r.IngestPort}"]);
        AddUnlessGiven(args, extra, ("--key-id", KeyId), ("--key", Key));
        args.AddRange(extra);
        return Track(ChildProcess.Dotnet(encoder, Repo.ProgramDll("publisher", "davecast-publisher"), [.. args]));
    }

    /// <summary>
    /// A publisher sending to explicit ingest endpoints (for example <see cref="PathProxy"/> ports), in this order
    /// (so path ids are 0/1 for the first, 4/5 for the second...). With <paramref name="startAt"/>, it passes
    /// <c>--start-at</c> (unix seconds): publishers given the same value stamp equal timestamps.
    /// </summary>
    public ChildProcess StartPublisherTo(string encoder, string mount, string file, int priority, IEnumerable<int> ingestPorts,
        DateTimeOffset? startAt = null, params string[] extra) =>
        StartFilePublisher(null, encoder, mount, file, priority, ingestPorts.Select(p => $"127.0.0.1:{p}"), startAt, extra);

    /// <summary>A publisher of a looped file to the given ingest endpoints; a restarted encoder's output is kept as "name#2"...</summary>
    private ChildProcess StartFilePublisher(string? netns, string encoder, string mount, string file, int priority, IEnumerable<string> relays,
        DateTimeOffset? startAt, string[] extra)
    {
        var args = new List<string> { "--mount", mount, "--encoder", encoder, "--priority", $"{priority}", "--file", file, "--loop" };
        foreach (var relay in relays) args.AddRange(["--relay", relay]);
        if (startAt is { } at)
            args.AddRange(["--start-at", (at.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", System.Globalization.CultureInfo.InvariantCulture)]);
        AddUnlessGiven(args, extra, ("--key-id", KeyId), ("--key", Key));
        args.AddRange(extra);
        lock (_processes)
        {
            int generation = _processes.Count(p => p.Name == encoder || p.Name.StartsWith(encoder + "#", StringComparison.Ordinal));
            var name = generation == 0 ? encoder : $"{encoder}#{generation + 1}";
            return Track(StartIn(netns, name, "publisher", "davecast-publisher", [.. args]));
        }
    }

    /// <summary>Whether the built publisher has a command-line option (its --help lists it), e.g. "--start-at".</summary>
    public static bool PublisherHasOption(string option)
    {
        if (_publisherHelp is null)
        {
            using var help = ChildProcess.Dotnet("publisher-help", Repo.ProgramDll("publisher", "davecast-publisher"), "--help");
            help.WaitForExitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            _publisherHelp = help.Output;
        }
        return _publisherHelp.Contains(option + " ", StringComparison.Ordinal);
    }

    /// <summary>A whole second a few seconds ahead, for <c>--start-at</c>.</summary>
    public static DateTimeOffset SecondsFromNow(int seconds) =>
        DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + seconds);

    public ChildProcess Track(ChildProcess p)
    {
        lock (_processes) _processes.Add(p);
        return p;
    }

    /// <summary>
    /// Adds the output of a program this deployment does not own (an icecast2, an ffmpeg) to <see cref="Logs()"/>
    /// and <see cref="Grep"/>.
    /// </summary>
    public void Observe(string name, Func<string> output)
    {
        lock (_processes) _observed.Add((name, output));
    }

    /// <summary>Every process's output, for a failure message.</summary>
    public string Logs() => Logs(60);

    /// <summary>Every process's output, the last <paramref name="lines"/> lines of each.</summary>
    public string Logs(int lines)
    {
        lock (_processes)
            return string.Join("\n", _processes.Select(p => $"===== {p.Name}{(p.HasExited ? $" (exited {p.ExitCode})" : "")} =====\n{Tail(p.Output, lines)}")
                .Concat(_observed.Select(o => $"===== {o.Name} =====\n{Tail(o.Output(), lines)}")));
    }

    /// <summary>Lines of every process's output that contain any of <paramref name="words"/> (e.g. "warn", "fail").</summary>
    public string Grep(params string[] words)
    {
        lock (_processes)
            return string.Join("\n", _processes.Select(p => (p.Name, Output: p.Output)).Concat(_observed.Select(o => (o.Name, Output: o.Output()))).Select(p =>
                $"===== {p.Name} =====\n" + string.Join('\n', p.Output.Split('\n').Where(l => words.Any(w => l.Contains(w, StringComparison.OrdinalIgnoreCase))))));
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
            _observed.Clear();
        }
        return ValueTask.CompletedTask;
    }
}
