using System.Net.Sockets;

namespace Davecast.Bench.Harness;

public sealed record OriginalRelay(string Name, int IngestPort, int FeedPort, Child Process);

/// <summary>Counts of the original node's complaints (see <see cref="OriginalDavecast.Trouble"/>).</summary>
public sealed record NodeTrouble(int Stalls, int MountsDropped, int QueuesFull)
{
    public NodeTrouble Since(NodeTrouble before) =>
        new(Stalls - before.Stalls, MountsDropped - before.MountsDropped, QueuesFull - before.QueuesFull);

    public bool Any => Stalls > 0 || MountsDropped > 0 || QueuesFull > 0;

    public override string ToString() => $"{Stalls} stalls, {MountsDropped} mounts dropped, {QueuesFull} full queues";
}

/// <summary>
/// The original Davecast (Go), built outside this repository and run from the folder given by <c>--seed-dir</c>: its
/// relays (<c>davecast -r INGEST FEED</c>, taking UDP and TCP on INGEST and serving their feed on FEED) and the node
/// that reads every relay's feed and serves the mounts over HTTP (<c>davecast PORT RELAY_FEED...</c>), on loopback
/// ports free for this run. Disposing stops them all and waits until they have exited.
/// </summary>
public sealed class OriginalDavecast : IAsyncDisposable
{
    public const string ProgramName = "davecast";

    private readonly List<Child> _owned = [];

    private OriginalDavecast(string logDirectory)
    {
        LogDirectory = logDirectory;
    }

    public string LogDirectory { get; }

    public List<OriginalRelay> Relays { get; } = [];

    public Child Node { get; private set; } = null!;

    public int NodePort { get; private set; }

    /// <summary>The original's program in <paramref name="directory"/>; throws, naming the option, when there is none to run.</summary>
    public static string ProgramIn(string? directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw new ArgumentException("--seed-dir DIR is required: the folder holding the original Davecast's built 'davecast' program");
        if (!Directory.Exists(directory)) throw new ArgumentException($"--seed-dir {directory}: no such folder");
        var path = Path.Combine(Path.GetFullPath(directory), ProgramName);
        if (!File.Exists(path))
            throw new ArgumentException($"--seed-dir {directory}: no '{ProgramName}' program in it (build the original there first; see bench/README.md)");
        if (OperatingSystem.IsLinux() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            throw new ArgumentException($"--seed-dir {directory}: '{path}' is not executable");
        return path;
    }

    public static async Task<OriginalDavecast> StartAsync(string program, string logDirectory, int relays = 2)
    {
        var original = new OriginalDavecast(logDirectory);
        try
        {
            for (int i = 0; i < relays; i++)
            {
                string name = $"relay-{(char)('a' + i)}";
                int ingest = Ports.Free(), feed = Ports.Free();
                var process = original.Own(Child.Start(name, program, ["-r", $"{ingest}", $"{feed}"], logDirectory));
                original.Relays.Add(new OriginalRelay(name, ingest, feed, process));
            }
            // Their ingest port, not their feed port: a connection there would become a feed that the relay fills for seconds.
            foreach (var r in original.Relays) await WaitForListenerAsync(r.Process, r.IngestPort);
            original.NodePort = Ports.Free();
            var node = original.Node = original.Own(Child.Start("node", program,
                [$"{original.NodePort}", .. original.Relays.Select(r => $"127.0.0.1:{r.FeedPort}")], logDirectory));
            // The node waits a few seconds before it connects to the relays, and says when each feed is open.
            await Task.WhenAll(original.Relays.Select(r => node.WaitForLineAsync($"tcp opened: 127.0.0.1:{r.FeedPort}", TimeSpan.FromSeconds(30))));
            await WaitForListenerAsync(node, original.NodePort);
            return original;
        }
        catch
        {
            await original.DisposeAsync();
            throw;
        }
    }

    public IEnumerable<Child> Processes => _owned;

    public Child Own(Child child)
    {
        lock (_owned) _owned.Add(child);
        return child;
    }

    /// <summary>The processes that are no longer running (none, unless one crashed).</summary>
    public IEnumerable<Child> Exited()
    {
        lock (_owned) return [.. _owned.Where(c => c.HasExited)];
    }

    /// <summary>
    /// What the node has logged going wrong so far: a mount's stream stalled and was switched to another encoder's
    /// ("~" lines), a mount dropped because its frames could not be passed on ("-" lines), a stream's queue full so that
    /// it was cut off ("|" lines).
    /// </summary>
    public NodeTrouble Trouble()
    {
        int stalls = 0, dropped = 0, full = 0;
        // The harness is still writing the log.
        using var reader = new StreamReader(new FileStream(Node.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        while (reader.ReadLine() is { } line)
        {
            // "2026/11/30 20:35:05 ~ STREAM @ MOUNT", "2026/11/30 20:35:05 - MOUNT", "2026/11/30 20:35:05 | STREAM"
            var fields = line.Split(' ', 4);
            if (fields.Length < 4) continue;
            if (fields[2] == "~") stalls++;
            else if (fields[2] == "-") dropped++;
            // Not "| MOUNT lost N": a listener that left (the bench's own probe) is cut off once its queue fills.
            else if (fields[2] == "|" && !fields[3].Contains(" lost ", StringComparison.Ordinal)) full++;
        }
        return new NodeTrouble(stalls, dropped, full);
    }

    // Until the program accepts TCP connections on the port.
    private static async Task WaitForListenerAsync(Child process, int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
            }
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} exited ({process.ExitCode}) before listening on {port}:\n{process.Tail(20)}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{process.Name} did not listen on {port} within 30 s:\n{process.Tail(20)}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Child> all;
        lock (_owned) all = [.. _owned];
        await Child.StopAllAsync(all);
    }
}
