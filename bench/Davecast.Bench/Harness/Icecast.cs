using System.Security;
using System.Text;

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
        await File.WriteAllTextAsync(config, Config(port, dir, clients, context.SourcePassword, context.AdminPassword));
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

    private static string Config(int port, string dir, int clients, string sourcePassword, string adminPassword)
    {
        static string X(string s) => SecurityElement.Escape(s);
        var xml = new StringBuilder();
        xml.AppendLine("<icecast>");
        xml.AppendLine("  <location>davecast-bench</location><admin>bench@127.0.0.1</admin><hostname>127.0.0.1</hostname>");
        xml.AppendLine("  <limits>");
        xml.AppendLine($"    <clients>{clients}</clients><sources>4</sources>");
        xml.AppendLine("    <queue-size>524288</queue-size><client-timeout>30</client-timeout><header-timeout>15</header-timeout>");
        xml.AppendLine("    <source-timeout>10</source-timeout><burst-size>65536</burst-size>");
        xml.AppendLine("  </limits>");
        xml.AppendLine("  <authentication>");
        xml.AppendLine($"    <source-password>{X(sourcePassword)}</source-password><relay-password>{X(sourcePassword)}</relay-password>");
        xml.AppendLine($"    <admin-user>admin</admin-user><admin-password>{X(adminPassword)}</admin-password>");
        xml.AppendLine("  </authentication>");
        xml.AppendLine($"  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>");
        xml.AppendLine("  <mount type=\"default\"><mp3-metadata-interval>16000</mp3-metadata-interval></mount>");
        xml.AppendLine("  <fileserve>1</fileserve>");
        xml.AppendLine("  <paths>");
        xml.AppendLine($"    <basedir>/usr/share/icecast2</basedir><logdir>{X(dir)}</logdir><pidfile>{X(Path.Combine(dir, "icecast.pid"))}</pidfile>");
        xml.AppendLine("    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot>");
        xml.AppendLine("  </paths>");
        // Its default log level (3, info) and an access log, as a packaged icecast2 runs.
        xml.AppendLine("  <logging><errorlog>-</errorlog><accesslog>access.log</accesslog><loglevel>3</loglevel></logging>");
        xml.AppendLine("  <security><chroot>0</chroot>");
        if (Environment.UserName == "root")
        {
            var (user, group) = SystemUser();
            xml.AppendLine($"    <changeowner><user>{X(user)}</user><group>{X(group)}</group></changeowner>");
        }
        xml.AppendLine("  </security>");
        xml.AppendLine("</icecast>");
        return xml.ToString();
    }

    // The Debian package's user (icecast2) and its primary group.
    private static (string User, string Group) SystemUser()
    {
        foreach (var user in new[] { "icecast2", "icecast" })
        {
            var entry = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 3 && f[0] == user);
            if (entry is null) continue;
            var group = File.ReadLines("/etc/group").Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 2 && f[2] == entry[3])?[0];
            return (user, group ?? "icecast");
        }
        throw new InvalidOperationException("icecast2 refuses to run as root and its system user is missing: apt-get install icecast2");
    }

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
