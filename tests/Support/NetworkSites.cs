using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Davecast.Tests.Support;

/// <summary>One site of <see cref="NetworkSites"/>: a network namespace with one address.</summary>
/// <param name="Name">The name the test gave it ("a", "studio").</param>
/// <param name="Namespace">The network namespace, for <c>ip netns exec</c> (<see cref="ChildProcess.In"/>).</param>
/// <param name="Address">The site's only address (besides loopback): bind its servers here.</param>
/// <param name="Subnet">The site's /24, which a split cuts off.</param>
public sealed record NetworkSite(string Name, string Namespace, string Address, string Subnet);

/// <summary>How <see cref="NetworkSites.SplitAsync"/> cuts two sites apart.</summary>
public enum Cut
{
    /// <summary>
    /// Each site drops, on arrival, the unicast the other sends (an <c>ip rule ... blackhole</c> on its interface). The
    /// sender learns nothing, as across a cut WAN link: TCP connects time out, UDP sends succeed and vanish, established
    /// TCP connections stay open and retransmit with backoff (so after a heal they resume only at their next
    /// retransmission: seconds, up to about the length of the split). IPv4 multicast still crosses this cut: all
    /// sites share one bridge, and no rule sees multicast on arrival.
    /// </summary>
    Drop,

    /// <summary>
    /// Each site has a blackhole route to the other's subnet. The sender is told at once: <c>connect</c> and UDP
    /// <c>send</c> fail with EINVAL ("Invalid argument"), as when a host has no route. Established TCP connections stay
    /// open; their segments fail locally and are retried with backoff. Multicast is cut too (each site checks sources'
    /// reverse paths strictly, and the blackhole fails that check).
    /// </summary>
    Unroutable,
}

/// <summary>
/// Real Linux network namespaces, one per site, joined by one bridge in the test's own namespace, so that the relays,
/// edges and redis-servers of a test can run at several sites and the network between two sites can be cut
/// (<see cref="SplitAsync"/>) and mended (<see cref="HealAsync"/>), which loopback cannot do.
/// </summary>
/// <remarks>
/// An instance owns 10.k.0.0/16, with k free on this machine: the bridge has 10.k.0.1 (<see cref="HostAddress"/>),
/// site i has 10.k.i.2 in its /24 but on a /16 interface, so that every site reaches every other directly and a
/// blackhole for one peer's /24 wins over the /16. Every namespace and interface is named "dcn{k}..." and
/// /run/davecast-netns/dcn{k} names the process that made them: <see cref="CreateAsync"/> first removes those of
/// processes that are gone (a crashed run), under a lock, so that instances at once in one or several processes never
/// collide. Needs root and iproute2's <c>ip</c>: without them it throws, it never skips.
/// </remarks>
public sealed class NetworkSites : IAsyncDisposable
{
    /// <summary>What every namespace, interface and marker of these sites starts with.</summary>
    public const string Prefix = "dcn";

    internal const string MarkerDirectory = "/run/davecast-netns";

    private static readonly TimeSpan IpTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The second octets tried; the ends are left to other networks' habits (10.0/16, 10.255/16).</summary>
    private const int FirstOctet = 10, LastOctet = 249;

    // dcn{k}br (the bridge), dcn{k}h{i} (site i's end on the bridge), dcn{k}n{i} (its end in the site), dcn{k}-{site}.
    private static readonly Regex LinkName = new($"^{Prefix}(\\d+)(?:br|h\\d+|n\\d+)$", RegexOptions.CultureInvariant);
    private static readonly Regex NamespaceName = new($"^{Prefix}(\\d+)-", RegexOptions.CultureInvariant);
    private static readonly Regex SiteName = new("^[a-z][a-z0-9]{0,15}$", RegexOptions.CultureInvariant);

    private readonly int _octet;
    private readonly Dictionary<string, NetworkSite> _sites = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _interfaces = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), Cut> _splits = [];
    private bool _disposed;

    private NetworkSites(int octet)
    {
        _octet = octet;
        Id = Prefix + octet;
        HostAddress = $"10.{octet}.0.1";
    }

    /// <summary>"dcn{k}": the start of all its namespaces' and interfaces' names.</summary>
    public string Id { get; }

    /// <summary>The test process's address on the bridge. Every site reaches it and it reaches every site; no split cuts it.</summary>
    public string HostAddress { get; }

    public IReadOnlyCollection<NetworkSite> Sites => _sites.Values;

    public NetworkSite this[string name] =>
        _sites.TryGetValue(name, out var site) ? site : throw new KeyNotFoundException($"no site '{name}' (sites: {string.Join(", ", _sites.Keys)})");

    /// <summary>Creates one namespace per name (lower-case letters and digits, e.g. "a", "b", "studio"), all reachable.</summary>
    public static async Task<NetworkSites> CreateAsync(params string[] siteNames)
    {
        if (siteNames.Length is 0 or > 250) throw new ArgumentException("between 1 and 250 sites", nameof(siteNames));
        foreach (var name in siteNames)
            if (!SiteName.IsMatch(name)) throw new ArgumentException($"site name '{name}': lower-case letters and digits, starting with a letter, at most 16");
        if (siteNames.Distinct(StringComparer.Ordinal).Count() != siteNames.Length) throw new ArgumentException("site names repeat", nameof(siteNames));
        RequireRoot();

        await using var held = await LockAsync();
        await RemoveLeftoversAsync();
        var sites = new NetworkSites(await ClaimOctetAsync());
        try
        {
            await sites.BuildAsync(siteNames);
            return sites;
        }
        catch
        {
            await sites.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(string[] siteNames)
    {
        string bridge = Id + "br";
        await IpAsync("link", "add", bridge, "type", "bridge");
        await IpAsync("addr", "add", HostAddress + "/16", "dev", bridge);
        await IpAsync("link", "set", bridge, "up");
        for (int i = 1; i <= siteNames.Length; i++)
        {
            var site = new NetworkSite(siteNames[i - 1], $"{Id}-{siteNames[i - 1]}", $"10.{_octet}.{i}.2", $"10.{_octet}.{i}.0/24");
            string outside = $"{Id}h{i}", inside = $"{Id}n{i}";
            await IpAsync("netns", "add", site.Namespace);
            _sites.Add(site.Name, site);
            _interfaces.Add(site.Name, inside);
            await IpAsync("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", site.Namespace);
            await IpAsync("link", "set", outside, "master", bridge, "up");
            await IpAsync("-n", site.Namespace, "addr", "add", site.Address + "/16", "dev", inside);
            await IpAsync("-n", site.Namespace, "link", "set", inside, "up");
            await IpAsync("-n", site.Namespace, "link", "set", "lo", "up");
            // Cut.Drop's rules must come before the lookup of local addresses, which is rule 0 in a new namespace.
            await IpAsync("-n", site.Namespace, "rule", "add", "pref", "100", "lookup", "local");
            await IpAsync("-n", site.Namespace, "rule", "del", "pref", "0");
            // Strict reverse-path checks: multicast is delivered without a route lookup, but a source behind a
            // Cut.Unroutable blackhole fails this check, so the cut stops multicast too.
            await IpAsync("netns", "exec", site.Namespace, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter");
        }
    }

    /// <summary>
    /// Cuts all traffic between sites <paramref name="x"/> and <paramref name="y"/>, both ways (see <see cref="Cut"/>
    /// for how senders notice). Other pairs of sites, and the host, still reach both. Splitting a split pair again
    /// replaces the cut.
    /// </summary>
    public async Task SplitAsync(string x, string y, Cut cut = Cut.Drop)
    {
        var key = Pair(x, y);
        if (_splits.ContainsKey(key)) await HealAsync(x, y);
        await ChangeCutAsync("add", this[x], this[y], cut);
        _splits[key] = cut;
    }

    /// <summary>Mends a split of <paramref name="x"/> and <paramref name="y"/>; does nothing when they are not split.</summary>
    public async Task HealAsync(string x, string y)
    {
        var key = Pair(x, y);
        if (!_splits.TryGetValue(key, out var cut)) return;
        await ChangeCutAsync("del", this[x], this[y], cut);
        _splits.Remove(key);
    }

    private async Task ChangeCutAsync(string verb, NetworkSite x, NetworkSite y, Cut cut)
    {
        foreach (var (at, from) in new[] { (x, y), (y, x) })
        {
            if (cut == Cut.Unroutable)
                await IpAsync("-n", at.Namespace, "route", verb, "blackhole", from.Subnet);
            else
                await IpAsync("-n", at.Namespace, "rule", verb, "pref", "10", "iif", _interfaces[at.Name], "from", from.Subnet, "blackhole");
        }
    }

    private (string, string) Pair(string x, string y)
    {
        _ = this[x];
        _ = this[y];
        if (x == y) throw new ArgumentException($"a site cannot be split from itself ('{x}')");
        return string.CompareOrdinal(x, y) < 0 ? (x, y) : (y, x);
    }

    /// <summary>Removes the namespaces, the interfaces and the bridge; does not throw for what is already gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await RemoveAsync(Id);
    }

    /// <summary>Removes every namespace and interface of <paramref name="id"/>, then its marker; throws if some remain.</summary>
    private static async Task RemoveAsync(string id)
    {
        // A namespace outlives its name while a process is still in it, and keeps its end of the veth: so the ends on
        // the bridge are removed by name too. The kernel tears a namespace down a moment later: hence the rounds.
        var deadline = DateTime.UtcNow + IpTimeout;
        while (true)
        {
            var namespaces = (await NamespacesAsync()).Where(n => n.StartsWith(id + "-", StringComparison.Ordinal)).ToList();
            var links = (await LinksAsync()).Where(l => Owner(LinkName, l) == id).OrderBy(l => l.EndsWith("br", StringComparison.Ordinal)).ToList();
            if (namespaces.Count + links.Count == 0) break;
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"could not remove {string.Join(", ", namespaces.Concat(links))}");
            foreach (var ns in namespaces) await RunIpAsync("netns", "del", ns);
            foreach (var link in links) await RunIpAsync("link", "del", link);
        }
        File.Delete(Path.Combine(MarkerDirectory, id));
    }

    /// <summary>Removes the sites of processes that are gone: their marker names a dead process, or they have none.</summary>
    private static async Task RemoveLeftoversAsync()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(MarkerDirectory, Prefix + "*")) ids.Add(Path.GetFileName(file));
        foreach (var ns in await NamespacesAsync()) if (Owner(NamespaceName, ns) is { } id) ids.Add(id);
        foreach (var link in await LinksAsync()) if (Owner(LinkName, link) is { } id) ids.Add(id);
        foreach (var id in ids)
            if (!OwnerAlive(Path.Combine(MarkerDirectory, id))) await RemoveAsync(id);
    }

    /// <summary>Picks k for 10.k.0.0/16: no live marker, no leftover and no route or address of this machine overlaps it; writes the marker.</summary>
    private static async Task<int> ClaimOctetAsync()
    {
        var used = new List<(uint Address, int Length)>();
        foreach (var line in (await IpAsync("-4", "route", "show", "table", "all")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "10.1.0.0/16 dev ...", "local 10.1.0.1 dev ...", "broadcast ...", "blackhole ..."; "default" overlaps all and counts for none.
            var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Take(2).Select(ParsePrefix).FirstOrDefault(p => p is not null) is { } prefix) used.Add(prefix);
        }
        var names = (await LinksAsync()).Concat(await NamespacesAsync()).ToList();
        for (int k = FirstOctet; k <= LastOctet; k++)
        {
            uint mine = (10u << 24) | ((uint)k << 16);
            string id = Prefix + k;
            if (used.Any(u => Overlap(mine, 16, u.Address, u.Length))) continue;
            if (names.Any(n => Owner(LinkName, n) == id || Owner(NamespaceName, n) == id)) continue;
            try
            {
                await using var marker = new FileStream(Path.Combine(MarkerDirectory, id), FileMode.CreateNew, FileAccess.Write);
                await marker.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId} {StartTime(Environment.ProcessId)}\n"));
                return k;
            }
            catch (IOException) when (File.Exists(Path.Combine(MarkerDirectory, id)))
            {
            }
        }
        throw new InvalidOperationException($"no free 10.k.0.0/16 for network sites (k {FirstOctet}..{LastOctet}): all are in use or overlap this machine's routes");
    }

    private static bool Overlap(uint a, int aLength, uint b, int bLength)
    {
        int shift = 32 - Math.Min(aLength, bLength);
        return (a >> shift) == (b >> shift);
    }

    /// <summary>"10.1.0.0/16" or "10.1.0.1" (a /32) as a number and a length; null for anything else.</summary>
    private static (uint Address, int Length)? ParsePrefix(string text)
    {
        var parts = text.Split('/');
        if (!IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return null;
        int length = 32;
        if (parts.Length > 2 || (parts.Length == 2 && !int.TryParse(parts[1], out length)) || length is < 1 or > 32) return null;
        var b = address.GetAddressBytes();
        return (((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3], length);
    }

    private static string? Owner(Regex pattern, string name)
    {
        var m = pattern.Match(name);
        return m.Success ? Prefix + m.Groups[1].Value : null;
    }

    /// <summary>Whether the process a marker names ("pid start-time") still runs; the start time guards against a reused pid.</summary>
    private static bool OwnerAlive(string marker)
    {
        string[] fields;
        try
        {
            fields = File.ReadAllText(marker).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        catch (IOException)
        {
            return false;
        }
        return fields.Length == 2 && int.TryParse(fields[0], out int pid) && StartTime(pid) is { } started && started == fields[1];
    }

    /// <summary>Field 22 of /proc/pid/stat: when the process started, in clock ticks since boot; null when it is gone.</summary>
    private static string? StartTime(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// An exclusive lock (flock, which .NET takes for FileShare.None) on /run/davecast-netns/.lock, held while leftovers
    /// are removed and a new instance is made: no one removes what another is making.
    /// </summary>
    private static async Task<FileStream> LockAsync()
    {
        Directory.CreateDirectory(MarkerDirectory);
        string path = Path.Combine(MarkerDirectory, ".lock");
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (DateTime.UtcNow < deadline && e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                await Task.Delay(50);
            }
        }
    }

    private static void RequireRoot()
    {
        uint euid = Posix.Geteuid();
        if (euid != 0)
            throw new InvalidOperationException(
                $"Network sites need root (CAP_NET_ADMIN and CAP_SYS_ADMIN, for network namespaces, veths and a bridge); this test runs as uid {euid}.");
    }

    private static string Ip
    {
        get
        {
            try
            {
                return ExternalTools.Require("ip");
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException("Network sites need iproute2's 'ip', which is missing (apt-get install iproute2).", e);
            }
        }
    }

    private static async Task<List<string>> NamespacesAsync() =>
        [.. (await IpAsync("netns", "list")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0])];

    private static async Task<List<string>> LinksAsync() =>
        [.. (await IpAsync("-br", "link", "show")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0].Split('@')[0])];

    /// <summary>Runs <c>ip</c>; returns its output, or throws with its error output when it fails.</summary>
    internal static async Task<string> IpAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await RunIpAsync(args);
        if (exit != 0) throw new InvalidOperationException($"'ip {string.Join(' ', args)}' failed (exit {exit}): {stderr.Trim()}");
        return stdout;
    }

    /// <summary>Runs <c>ip</c> for at most <see cref="IpTimeout"/>; a failure is the caller's to judge.</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> RunIpAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(Ip) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(IpTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"'ip {string.Join(' ', args)}' did not finish within {IpTimeout}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
