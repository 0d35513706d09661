using System.Net.Http.Headers;
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
