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
/// too.
/// </summary>
public static class Ports
{
    private static readonly HashSet<int> Handed = [];

    public static int Free()
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            using var tcp = new TcpListener(IPAddress.Loopback, 0);
            tcp.Start();
            int port = ((IPEndPoint)tcp.LocalEndpoint).Port;
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Any, port));
            }
            catch (SocketException)
            {
                continue;
            }
            lock (Handed)
                if (Handed.Add(port)) return port;
        }
        throw new InvalidOperationException("no free port");
    }
}
