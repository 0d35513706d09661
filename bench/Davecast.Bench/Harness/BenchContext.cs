using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Davecast.Bench.Harness;

/// <summary>Where the programs are, where results go, and the secrets this run gives every program.</summary>
public sealed class BenchContext
{
    public BenchContext(string root, string configuration, string resultsDirectory, TextWriter log)
    {
        Root = root;
        Configuration = configuration;
        ResultsDirectory = resultsDirectory;
        Log = log;
        Directory.CreateDirectory(resultsDirectory);
    }

    public string Root { get; }

    public string Configuration { get; }

    public string ResultsDirectory { get; }

    public TextWriter Log { get; }

    /// <summary>Membership: "redis" (a redis-server the harness starts) or "localhost".</summary>
    public string Clustering { get; init; } = "redis";

    /// <summary>Real secrets (the programs refuse the development ones outside Development).</summary>
    public string KeyId { get; } = "bench";
    public string Key { get; } = Secret();
    public string AdminPassword { get; } = Secret();
    public string RelayPassword { get; } = Secret();
    public string SourcePassword { get; } = Secret();

    public string ClusterId { get; } = "bench-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();

    /// <summary>Every program runs as in production: real secrets, DOTNET_ENVIRONMENT=Production.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" };

    public string Fixture(string name) => Path.Combine(Root, "fixtures", name);

    public string ProgramDll(string projectDirectory, string assembly)
    {
        var path = Path.Combine(Root, projectDirectory, "bin", Configuration, "net10.0", assembly + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: build the solution in {Configuration} first (bench/run.sh does).");
        return path;
    }

    /// <summary>The repository the bench program itself was built in (by default also <see cref="Root"/>).</summary>
    public string BenchRoot { get; init; } = FindRoot(AppContext.BaseDirectory);

    /// <summary>The bench program, to start the load generator and the listeners as processes of their own.</summary>
    public string BenchDll()
    {
        var path = Path.Combine(BenchRoot, "bench", "Davecast.Bench", "bin", Configuration, "net10.0", "davecast-bench.dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: build the solution in {Configuration} first (bench/run.sh does).");
        return path;
    }

    /// <summary>A directory for the logs of one run of a row.</summary>
    public string NewLogDirectory(string row)
    {
        var dir = Path.Combine(ResultsDirectory, "logs", $"{row}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public Child StartDotnet(string name, string dll, IEnumerable<string> args, string logDirectory) =>
        Child.Start(name, "dotnet", [dll, .. args], logDirectory, Environment);

    public static string FindRoot(string from)
    {
        for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Davecast.Orleans.sln"))) return dir.FullName;
        throw new InvalidOperationException("Davecast.Orleans.sln not found above " + from);
    }

    private static string Secret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
}

/// <summary>
/// Loopback ports free on both TCP and UDP when asked (and never handed out twice by this process). The tests use it
/// too. They lie below the kernel's ephemeral range: a program that connects to a port before its owner listens (a
/// relay to the primary silo, an edge to a gateway, while they start together) can be given that very port as its
/// source port, and then holds it ("address already in use" for the owner); a port outside the range cannot be.
/// </summary>
public static class Ports
{
    private static readonly HashSet<int> Handed = [];

    // Where the range starts (Linux's default 32768 when unreadable); the ports handed out lie in the 20,000 below it.
    private static readonly int EphemeralLow = ReadEphemeralLow();

    public static int Free()
    {
        int low = Math.Max(1024, EphemeralLow - 20_000);
        for (int attempt = 0; attempt < 500; attempt++)
        {
            int port = Random.Shared.Next(low, EphemeralLow);
            lock (Handed)
                if (Handed.Contains(port)) continue;
            try
            {
                using var tcp = new TcpListener(IPAddress.Loopback, port);
                tcp.Start();
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Any, port));
            }
            catch (SocketException)
            {
                continue;
            }
            lock (Handed)
                if (Handed.Add(port)) return port;
        }
        throw new InvalidOperationException($"no free port between {low} and {EphemeralLow}");
    }

    private static int ReadEphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(range[0], out int low) && low > 2048 ? low : 32768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
