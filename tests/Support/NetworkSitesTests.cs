using System.Diagnostics;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Davecast.Tests.Support;

/// <summary>
/// Real network namespaces: sites reach each other and the host; a split cuts exactly one pair, both ways, and heals;
/// programs run inside a site (a redis-server too, killed and restarted in place); nothing is left behind, not even by
/// a run that crashed.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class NetworkSitesTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_split_cuts_two_sites_apart_both_ways_and_nothing_else_until_healed()
    {
        await using var sites = await NetworkSites.CreateAsync("a", "b", "studio");
        // Each start waits for PING from the host: the host reaches every site.
        await using var a = await RedisServer.StartAsync(sites["a"]);
        await using var b = await RedisServer.StartAsync(sites["b"]);
        await using var studio = await RedisServer.StartAsync(sites["studio"]);
        Assert.StartsWith(sites["a"].Address + ":", a.ConnectionString);

        await AssertReachesAsync(sites["a"], b);
        await AssertReachesAsync(sites["b"], a);
        await AssertReachesAsync(sites["studio"], a);

        await sites.SplitAsync("a", "b");
        // Dropped on arrival: the sender hears nothing, not even a refusal, and gives up at its own timeout.
        await AssertCutAsync(sites["a"], b, expectedExit: 124);
        await AssertCutAsync(sites["b"], a, expectedExit: 124);
        Assert.True(await HostPingsAsync(a), "host -> a during the split");
        Assert.True(await HostPingsAsync(b), "host -> b during the split");
        await AssertReachesAsync(sites["studio"], a);
        await AssertReachesAsync(sites["studio"], b);
        await AssertReachesAsync(sites["a"], studio);
        await AssertReachesAsync(sites["b"], studio);

        await sites.HealAsync("a", "b");
        await Wait.UntilAsync(async () => (await PingFromAsync(sites["a"], b, 2)).Exit == 0, Bound, "a reaching b after the heal");
        await Wait.UntilAsync(async () => (await PingFromAsync(sites["b"], a, 2)).Exit == 0, Bound, "b reaching a after the heal");
    }

    [Fact]
    public async Task An_unroutable_split_fails_the_sender_at_once()
    {
        await using var sites = await NetworkSites.CreateAsync("a", "b");
        await using var b = await RedisServer.StartAsync(sites["b"]);

        await sites.SplitAsync("a", "b", Cut.Unroutable);
        var clock = Stopwatch.StartNew();
        var (exit, said) = await PingFromAsync(sites["a"], b, 5);
        output.WriteLine($"a -> b, unroutable: exit {exit} after {clock.ElapsedMilliseconds} ms: {said.Trim()}");
        Assert.Equal(1, exit);
        Assert.Contains("Invalid argument", said);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
        Assert.True(await HostPingsAsync(b), "host -> b during the split");

        await sites.HealAsync("a", "b");
        await Wait.UntilAsync(async () => (await PingFromAsync(sites["a"], b, 2)).Exit == 0, Bound, "a reaching b after the heal");
    }

    [Fact]
    public async Task A_redis_server_at_a_site_is_killed_and_comes_back_on_the_same_address_and_port()
    {
        await using var sites = await NetworkSites.CreateAsync("a", "b");
        await using var redis = await RedisServer.StartAsync(sites["a"]);
        string before = redis.ConnectionString;

        redis.Kill9();
        Assert.True(redis.HasExited);
        Assert.False(await HostPingsAsync(redis), "host -> redis after kill -9");
        await AssertCutAsync(sites["b"], redis, expectedExit: 1); // refused: the site is there, redis is not

        await redis.RestartAsync();
        Assert.Equal(before, redis.ConnectionString);
        Assert.True(await HostPingsAsync(redis), "host -> redis after the restart");
        await AssertReachesAsync(sites["b"], redis);
    }

    [Fact]
    public async Task A_program_run_in_a_site_is_itself_the_child_process_and_dies_by_kill9()
    {
        await using var sites = await NetworkSites.CreateAsync("a");
        var site = sites["a"];

        using var sleeper = ChildProcess.In(site.Namespace, "sleep", "sleep", ["60"]);
        // ip netns exec joins the namespace, then execs the program in place: same pid, the site's namespace.
        await Wait.UntilAsync(() => Comm(sleeper.Pid) == "sleep", Bound, "ip to exec sleep");
        Assert.Equal(site.Namespace, (await NetworkSites.IpAsync("netns", "identify", $"{sleeper.Pid}")).Trim());
        sleeper.Kill9();
        Assert.True(sleeper.HasExited);

        using var publisher = ChildProcess.DotnetIn(site.Namespace, "publisher", Repo.ProgramDll("publisher", "davecast-publisher"), "--help");
        Assert.True(0 == await publisher.WaitForExitAsync(TimeSpan.FromSeconds(30)), publisher.Output);
        Assert.Contains("Usage:", publisher.Output);
    }

    [Fact]
    public async Task Instances_at_once_get_their_own_networks_and_leave_nothing_behind_nor_do_dead_runs()
    {
        // What a run killed halfway leaves: a marker naming a process that is gone (our pid, another start time),
        // its namespace, bridge and veth; and a namespace with no marker at all.
        string dead = NetworkSites.Prefix + "254", unmarked = NetworkSites.Prefix + "253";
        await File.WriteAllTextAsync(Path.Combine(NetworkSites.MarkerDirectory, dead), $"{Environment.ProcessId} 1\n");
        await NetworkSites.IpAsync("netns", "add", dead + "-x");
        await NetworkSites.IpAsync("link", "add", dead + "br", "type", "bridge");
        await NetworkSites.IpAsync("link", "add", dead + "h1", "type", "veth", "peer", "name", dead + "n1");
        await NetworkSites.IpAsync("netns", "add", unmarked + "-y");

        var both = await Task.WhenAll(NetworkSites.CreateAsync("a", "b"), NetworkSites.CreateAsync("a", "b"));
        var (first, second) = (both[0], both[1]);
        try
        {
            output.WriteLine($"{first.Id} {first.HostAddress}, {second.Id} {second.HostAddress}");
            Assert.NotEqual(first.HostAddress, second.HostAddress);
            Assert.DoesNotContain(await NamesAsync(), n => n.StartsWith(dead, StringComparison.Ordinal) || n.StartsWith(unmarked, StringComparison.Ordinal));
            Assert.False(File.Exists(Path.Combine(NetworkSites.MarkerDirectory, dead)));

            await using var redis = await RedisServer.StartAsync(second["b"]);
            // A process still in a namespace keeps it alive without its name: its veth must go all the same.
            using var lingering = ChildProcess.In(first["a"].Namespace, "sleep", "sleep", ["60"]);
            await Wait.UntilAsync(() => Comm(lingering.Pid) == "sleep", Bound, "ip to exec sleep");
            await first.DisposeAsync();
            Assert.False(lingering.HasExited);
            Assert.True(await HostPingsAsync(redis), "the second instance's site, after the first is gone");
            var names = await NamesAsync();
            Assert.DoesNotContain(names, n => n.StartsWith(first.Id, StringComparison.Ordinal));
            Assert.Contains(second["a"].Namespace, names);
            Assert.False(File.Exists(Path.Combine(NetworkSites.MarkerDirectory, first.Id)));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
        Assert.DoesNotContain(await NamesAsync(), n => n.StartsWith(second.Id, StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(NetworkSites.MarkerDirectory, second.Id)));
        await second.DisposeAsync(); // twice: nothing to do, no error
    }

    /// <summary>Every namespace and interface of the host namespace, by name.</summary>
    private static async Task<List<string>> NamesAsync() =>
    [
        .. (await NetworkSites.IpAsync("netns", "list")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]),
        .. (await NetworkSites.IpAsync("-br", "link", "show")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0].Split('@')[0]),
    ];

    private static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task AssertReachesAsync(NetworkSite from, RedisServer to)
    {
        var (exit, said) = await PingFromAsync(from, to, 5);
        Assert.True(exit == 0, $"{from.Name} -> {to.ConnectionString}: exit {exit}: {said}");
    }

    /// <summary>Exit 124: the connect timed out (dropped silently); 1: it failed at once (refused, unroutable).</summary>
    private async Task AssertCutAsync(NetworkSite from, RedisServer to, int expectedExit)
    {
        var clock = Stopwatch.StartNew();
        var (exit, said) = await PingFromAsync(from, to, 2);
        output.WriteLine($"{from.Name} -> {to.ConnectionString}: exit {exit} after {clock.ElapsedMilliseconds} ms {said.Trim()}");
        Assert.True(exit == expectedExit, $"{from.Name} -> {to.ConnectionString}: exit {exit}, not {expectedExit}: {said}");
    }

    /// <summary>
    /// PING over a TCP connection made from inside <paramref name="from"/>, by bash, given <paramref name="seconds"/>:
    /// exit 0 when PONG came back, 1 when the connection failed, 124 when time ran out.
    /// </summary>
    private static async Task<(int Exit, string Output)> PingFromAsync(NetworkSite from, RedisServer to, int seconds)
    {
        const string script = "exec 3<>/dev/tcp/$1/$2 && printf 'PING\\r\\n' >&3 && IFS= read -r line <&3 && [ \"$line\" = $'+PONG\\r' ]";
        using var probe = ChildProcess.In(from.Namespace, $"probe@{from.Name}", "timeout", [$"{seconds}", "bash", "-c", script, "probe", to.Host, $"{to.Port}"]);
        int exit = await probe.WaitForExitAsync(TimeSpan.FromSeconds(seconds + 5));
        return (exit, probe.Output);
    }

    /// <summary>PING from the test process itself, in the host namespace.</summary>
    private static async Task<bool> HostPingsAsync(RedisServer redis)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            using var client = new TcpClient();
            await client.ConnectAsync(redis.Host, redis.Port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[16];
            int n = await stream.ReadAsync(buffer, cts.Token);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n) == "+PONG\r\n";
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
