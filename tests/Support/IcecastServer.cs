using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace Davecast.Tests.Support;

/// <summary>
/// A real Debian <c>icecast2</c> (2.4) on a free loopback port, with a generated configuration in a temporary
/// directory. With <see cref="IcecastConfig.Master"/> it is a slave that mirrors every mount of a master: every
/// <c>master-update-interval</c> seconds it fetches <c>GET /admin/streamlist.txt HTTP/1.0</c> with Basic auth as the
/// relay user, and relays each line's mount with <c>GET /mount HTTP/1.0</c> and <c>Icy-MetaData: 1</c>.
/// Its log goes to its standard error, kept in <see cref="Output"/>. Disposing kills it and removes the directory.
/// </summary>
public sealed class IcecastServer : IAsyncDisposable
{
    private readonly string _directory;

    private IcecastServer(int port, string directory, IcecastConfig config, ChildProcess process)
    {
        Port = port;
        _directory = directory;
        Config = config;
        Process = process;
    }

    public int Port { get; }

    public IcecastConfig Config { get; }

    /// <summary>The icecast2 process (its log is its output).</summary>
    public ChildProcess Process { get; }

    public string Output => Process.Output;

    public bool HasExited => Process.HasExited;

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The URL of a mount (with or without its leading slash).</summary>
    public string Url(string mount) => $"{BaseUrl}/{mount.TrimStart('/')}";

    /// <summary>The <c>icecast://</c> URL a source client (ffmpeg) pushes a mount to.</summary>
    public string SourceUrl(string mount) =>
        $"icecast://source:{Uri.EscapeDataString(Config.SourcePassword)}@127.0.0.1:{Port}/{mount.TrimStart('/')}";

    public static async Task<IcecastServer> StartAsync(IcecastConfig? config = null, TimeSpan? timeout = null)
    {
        config ??= new IcecastConfig();
        var exe = ExternalTools.Require("icecast2");
        int port = Ports.Free();
        var dir = Directory.CreateTempSubdirectory("davecast-icecast-").FullName;
        // icecast2 drops root for its own user (changeowner) before it writes its pid file: let that user write here.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, (UnixFileMode)0x1FF);
        var path = Path.Combine(dir, "icecast.xml");
        await File.WriteAllTextAsync(path, config.Render(port, dir));
        var process = new ChildProcess($"icecast2:{port}", exe, ["-c", path]);
        var server = new IcecastServer(port, dir, config, process);
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

    private async Task WaitUntilAnswersAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (Process.HasExited) throw new InvalidOperationException($"icecast2 exited ({Process.ExitCode}):\n{Output}");
            try
            {
                using var response = await http.GetAsync($"{BaseUrl}/status-json.xsl");
                if (response.IsSuccessStatusCode) return;
                last = $"{(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"icecast2 on port {Port} did not answer within {timeout} (last: {last}):\n{Output}");
    }

    /// <summary><c>/status-json.xsl</c>, as text.</summary>
    public async Task<string> StatusJsonAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync($"{BaseUrl}/status-json.xsl");
    }

    /// <summary>
    /// Waits until a mount has a connected source (a pushing source client, or a relay from the master): its
    /// <c>/status-json.xsl</c> entry has a <c>server_type</c> (the Content-Type), which icecast2 sets once the
    /// source's headers are read.
    /// </summary>
    public async Task WaitForMountAsync(string mount, TimeSpan timeout)
    {
        var listenUrl = Url(mount);
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            if (Process.HasExited) throw new InvalidOperationException($"icecast2 exited ({Process.ExitCode}):\n{Output}");
            try
            {
                last = await StatusJsonAsync();
                if (IcecastStatus.Sources(last).Any(s => s.ListenUrl == listenUrl && s.ServerType is not null)) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                last = e.Message;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"icecast2 on port {Port} has no source on {mount} after {timeout} (status: {last}):\n{Output}");
    }

    /// <summary>Sets a mount's title with <c>/admin/metadata?mode=updinfo</c> as the admin user.</summary>
    public async Task SetTitleAsync(string mount, string title)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var body = await SetTitleAsync(http, BaseUrl, mount, title, Config.AdminUser, Config.AdminPassword);
        if (!body.Contains("<return>1</return>", StringComparison.Ordinal))
            throw new InvalidOperationException($"icecast2 refused the title of {mount}: {body}");
    }

    /// <summary>
    /// <c>GET /admin/metadata?mode=updinfo&amp;mount=/m&amp;song=T</c> with Basic auth on any Icecast-like server;
    /// returns the body, throws unless the status is 2xx.
    /// </summary>
    public static async Task<string> SetTitleAsync(HttpClient http, string baseUrl, string mount, string title, string user, string password)
    {
        var url = $"{baseUrl}/admin/metadata?mode=updinfo&mount={Uri.EscapeDataString("/" + mount.TrimStart('/'))}&song={Uri.EscapeDataString(title)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = BasicAuth(user, password);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{url} answered {(int)response.StatusCode}: {body}");
        return body;
    }

    public static AuthenticationHeaderValue BasicAuth(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public ValueTask DisposeAsync()
    {
        // icecast2 leaves on SIGTERM; SIGKILL if it does not.
        if (!Process.Terminate(TimeSpan.FromSeconds(3))) Process.Kill9();
        Process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>What goes into a generated icecast.xml (defaults: Icecast's own, and its "hackme" passwords).</summary>
public sealed record IcecastConfig
{
    public string SourcePassword { get; init; } = "hackme";
    public string RelayUser { get; init; } = "relay";
    public string RelayPassword { get; init; } = "hackme";
    public string AdminUser { get; init; } = "admin";
    public string AdminPassword { get; init; } = "hackme";

    /// <summary>Bytes of recent audio sent at once to a new listener (Icecast's default: 65536).</summary>
    public int BurstSize { get; init; } = 65536;

    /// <summary>Bytes a listener may lag before icecast2 drops it (Icecast's default: 524288).</summary>
    public int QueueSize { get; init; } = 524288;

    /// <summary>Bytes of audio between ICY metadata blocks sent to listeners (Icecast's default: 16000).</summary>
    public int MetadataInterval { get; init; } = 16000;

    /// <summary>A master to mirror every mount of; null: not a slave.</summary>
    public IcecastMaster? Master { get; init; }

    /// <summary>4 debug, 3 info (shows the slave's streamlist fetches and relay connections), 2 warn, 1 error.</summary>
    public int LogLevel { get; init; } = 3;

    public string Render(int port, string directory)
    {
        static string X(string s) => SecurityElement.Escape(s);
        var xml = new StringBuilder();
        xml.AppendLine("<icecast>");
        xml.AppendLine("  <location>davecast-tests</location>");
        xml.AppendLine("  <admin>tests@127.0.0.1</admin>");
        xml.AppendLine("  <hostname>127.0.0.1</hostname>");
        xml.AppendLine("  <limits>");
        xml.AppendLine("    <clients>100</clients>");
        xml.AppendLine("    <sources>20</sources>");
        xml.AppendLine($"    <queue-size>{QueueSize}</queue-size>");
        xml.AppendLine("    <client-timeout>30</client-timeout>");
        xml.AppendLine("    <header-timeout>15</header-timeout>");
        xml.AppendLine("    <source-timeout>10</source-timeout>");
        xml.AppendLine($"    <burst-size>{BurstSize}</burst-size>");
        xml.AppendLine("  </limits>");
        xml.AppendLine("  <authentication>");
        xml.AppendLine($"    <source-password>{X(SourcePassword)}</source-password>");
        xml.AppendLine($"    <relay-user>{X(RelayUser)}</relay-user>");
        xml.AppendLine($"    <relay-password>{X(RelayPassword)}</relay-password>");
        xml.AppendLine($"    <admin-user>{X(AdminUser)}</admin-user>");
        xml.AppendLine($"    <admin-password>{X(AdminPassword)}</admin-password>");
        xml.AppendLine("  </authentication>");
        xml.AppendLine("  <listen-socket>");
        xml.AppendLine($"    <port>{port}</port>");
        xml.AppendLine("    <bind-address>127.0.0.1</bind-address>");
        xml.AppendLine("  </listen-socket>");
        if (Master is { } m)
        {
            xml.AppendLine($"  <master-server>{X(m.Host)}</master-server>");
            xml.AppendLine($"  <master-server-port>{m.Port}</master-server-port>");
            xml.AppendLine($"  <master-update-interval>{m.UpdateIntervalSeconds}</master-update-interval>");
            xml.AppendLine($"  <master-username>{X(m.User)}</master-username>");
            xml.AppendLine($"  <master-password>{X(m.Password)}</master-password>");
            xml.AppendLine("  <relays-on-demand>0</relays-on-demand>");
        }
        xml.AppendLine("  <mount type=\"default\">");
        xml.AppendLine($"    <mp3-metadata-interval>{MetadataInterval}</mp3-metadata-interval>");
        xml.AppendLine("  </mount>");
        xml.AppendLine("  <fileserve>1</fileserve>");
        xml.AppendLine("  <paths>");
        xml.AppendLine("    <basedir>/usr/share/icecast2</basedir>");
        xml.AppendLine($"    <logdir>{X(directory)}</logdir>");
        xml.AppendLine($"    <pidfile>{X(Path.Combine(directory, "icecast.pid"))}</pidfile>");
        xml.AppendLine("    <webroot>/usr/share/icecast2/web</webroot>");
        xml.AppendLine("    <adminroot>/usr/share/icecast2/admin</adminroot>");
        xml.AppendLine("  </paths>");
        xml.AppendLine("  <logging>");
        xml.AppendLine("    <errorlog>-</errorlog>");
        xml.AppendLine("    <accesslog>-</accesslog>");
        xml.AppendLine($"    <loglevel>{LogLevel}</loglevel>");
        xml.AppendLine("  </logging>");
        xml.AppendLine("  <security>");
        xml.AppendLine("    <chroot>0</chroot>");
        // icecast2 refuses to run as root: it must be told which user to become.
        if (IcecastUser.RunningAsRoot)
        {
            var (user, group) = IcecastUser.Find();
            xml.AppendLine($"    <changeowner><user>{X(user)}</user><group>{X(group)}</group></changeowner>");
        }
        xml.AppendLine("  </security>");
        xml.AppendLine("</icecast>");
        return xml.ToString();
    }
}

/// <summary>The master of a slave icecast2: every mount in its <c>/admin/streamlist.txt</c> is relayed.</summary>
/// <param name="UpdateIntervalSeconds">
/// Seconds between fetches of the stream list (icecast2 2.4 honours 1: its slave thread ticks every second, fetches
/// the list on the first tick after start, and retries a mount whose relay failed after the same interval).
/// </param>
public sealed record IcecastMaster(int Port, string User = "relay", string Password = "hackme", int UpdateIntervalSeconds = 1, string Host = "127.0.0.1");

/// <summary>The Debian package's system user (icecast2, group icecast), which icecast2 switches to when started as root.</summary>
internal static class IcecastUser
{
    public static bool RunningAsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    public static (string User, string Group) Find()
    {
        foreach (var user in new[] { "icecast2", "icecast" })
        {
            var entry = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 3 && f[0] == user);
            if (entry is null) continue;
            var group = File.ReadLines("/etc/group").Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 2 && f[2] == entry[3])?[0];
            return (user, group ?? "icecast");
        }
        throw new InvalidOperationException(
            "icecast2 refuses to run as root, and its system user (icecast2) is missing: install the Debian package (apt-get install icecast2).");
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
