namespace Davecast.Tests.Support;

/// <summary>
/// A real ffmpeg acting as an Icecast source client: it loops a fixture in real time (<c>-re -stream_loop -1</c>),
/// copies its frames (<c>-c copy</c>) and pushes them to <c>icecast://source:PASS@127.0.0.1:PORT/mount</c>.
/// <para>
/// What ffmpeg 5.1 sends (seen on the wire): by default <c>PUT /mount HTTP/1.1</c> with <c>Expect: 100-continue</c>,
/// <c>Content-Type</c>, <c>Ice-Name</c>/<c>Ice-Genre</c>/<c>Ice-Public</c>, <c>Icy-MetaData: 1</c> and Basic auth, and
/// neither Content-Length nor chunked encoding: the body is the raw stream until the connection closes. It sends no
/// body until a status line comes back (<c>HTTP/1.1 100 Continue</c> or <c>HTTP/1.0 200 OK</c>), and gives up if
/// the server closes first. With <see cref="Legacy"/> (<c>-legacy_icecast 1</c>) it sends <c>SOURCE /mount HTTP/1.1</c>
/// and the body straight after the headers, without waiting. <c>-f mp3</c> starts the stream with an ID3v2 tag
/// ("TSSE Lavf..."); over icecast:// (not seekable) it writes no Xing frame.
/// </para>
/// </summary>
public sealed class FfmpegPush : IDisposable
{
    private FfmpegPush(ChildProcess process, string url, bool legacy)
    {
        Process = process;
        Url = url;
        Legacy = legacy;
    }

    public ChildProcess Process { get; }

    /// <summary>The icecast:// URL pushed to (with the password).</summary>
    public string Url { get; }

    public bool Legacy { get; }

    public string Output => Process.Output;

    public bool HasExited => Process.HasExited;

    /// <summary>
    /// Starts pushing <paramref name="fixture"/> (a path; .aac is sent as ADTS with audio/aac, anything else as MP3 with
    /// audio/mpeg) to the mount at 127.0.0.1:<paramref name="port"/>.
    /// </summary>
    public static FfmpegPush Start(string fixture, int port, string mount, string password = "hackme", bool legacy = false,
        string user = "source", string? name = null, string? genre = null, params string[] extra)
    {
        var ffmpeg = ExternalTools.Require("ffmpeg");
        bool aac = fixture.EndsWith(".aac", StringComparison.OrdinalIgnoreCase);
        mount = "/" + mount.TrimStart('/');
        var url = $"icecast://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@127.0.0.1:{port}{mount}";
        var args = new List<string>
        {
            "-nostdin", "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", fixture,
            "-c", "copy", "-f", aac ? "adts" : "mp3", "-content_type", aac ? "audio/aac" : "audio/mpeg",
        };
        if (name is not null) args.AddRange(["-ice_name", name]);
        if (genre is not null) args.AddRange(["-ice_genre", genre]);
        if (legacy) args.AddRange(["-legacy_icecast", "1"]);
        args.AddRange(extra);
        args.Add(url);
        var process = new ChildProcess($"ffmpeg{(legacy ? "-legacy" : "")}:{mount}", ffmpeg, args);
        return new FfmpegPush(process, url, legacy);
    }

    /// <summary>
    /// Waits until something accepts TCP connections on a loopback port (then closes at once): ffmpeg gives up at
    /// once when the server it pushes to is not listening yet.
    /// </summary>
    public static async Task WaitForServerAsync(int port, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no attempt";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException e)
            {
                last = e.Message;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{what}: nothing accepted on 127.0.0.1:{port} within {timeout} (last: {last})");
    }

    /// <summary>SIGKILL: the source disappears without a goodbye.</summary>
    public void Kill() => Process.Kill9();

    public void Dispose() => Process.Dispose();
}
