
namespace Davecast.Bench.Harness;

/// <summary>
/// Debian's icecast2 on a free loopback port, configured as the edge is by default (burst 65536 bytes, queue 524288
/// bytes, ICY interval 16000), with a client limit above the fan-out. As root it must be told to change to its own
/// user (&lt;changeowner&gt;), which must be able to write the run directory.
/// </summary>
public sealed class Icecast
{
    private Icecast(int port, Child process, string directory)
    {
        Port = port;
        Process = process;
        Directory = directory;
    }

    public int Port { get; }

    public Child Process { get; }

    public string Directory { get; }

    public static async Task<Icecast> StartAsync(BenchContext context, string logDirectory, int clients, Func<Child, Child> own)
    {
        int port = Ports.Free();
        var dir = System.IO.Directory.CreateTempSubdirectory("davecast-bench-icecast-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, (UnixFileMode)0x1FF);
        var config = Path.Combine(dir, "icecast.xml");
        var settings = new IcecastConfig
        {
            Clients = clients,
            Location = "davecast-bench",
            SourcePassword = context.SourcePassword,
            RelayPassword = context.SourcePassword,
            AdminPassword = context.AdminPassword,
            // A file, as a packaged icecast2 keeps it: a line per listener, not on the harness's pipe.
            AccessLog = "access.log",
        };
        await File.WriteAllTextAsync(config, settings.Render(port, dir));
        var process = own(Child.Start("icecast2", "icecast2", ["-c", config], logDirectory));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/status-json.xsl");
                if (response.IsSuccessStatusCode) return new Icecast(port, process, dir);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (process.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException($"icecast2 did not start:\n{process.Tail(30)}");
            await Task.Delay(200);
        }
    }

    /// <summary>ffmpeg pushing a fixture in real time, looped, to a mount, as a source client (PUT).</summary>
    public Child StartFfmpegSource(BenchContext context, string logDirectory, string fixture, string mount) =>
        Child.Start("ffmpeg", "ffmpeg",
        [
            "-hide_banner", "-loglevel", "warning", "-nostdin", "-re", "-stream_loop", "-1", "-i", fixture,
            "-c", "copy", "-f", "mp3", "-id3v2_version", "0", "-write_xing", "0", "-content_type", "audio/mpeg",
            $"icecast://source:{Uri.EscapeDataString(context.SourcePassword)}@127.0.0.1:{Port}/{mount}",
        ], logDirectory);

    public void DeleteDirectory()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
