using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace Davecast.Bench.Harness;

/// <summary>
/// What goes into a generated icecast.xml (defaults: Icecast's own, and its "hackme" passwords), for the tests' icecast2
/// peers and the fan-out benchmark's.
/// </summary>
public sealed record IcecastConfig
{
    /// <summary>Listeners and sources icecast2 takes at once.</summary>
    public int Clients { get; init; } = 100;

    /// <summary>Its <c>location</c> (shown in its status pages).</summary>
    public string Location { get; init; } = "davecast-tests";

    /// <summary>Its access log: <c>-</c> (standard error, with the error log) or a file name in the log directory.</summary>
    public string AccessLog { get; init; } = "-";

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
        xml.AppendLine($"  <location>{X(Location)}</location>");
        xml.AppendLine("  <admin>tests@127.0.0.1</admin>");
        xml.AppendLine("  <hostname>127.0.0.1</hostname>");
        xml.AppendLine("  <limits>");
        xml.AppendLine($"    <clients>{Clients}</clients>");
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
        xml.AppendLine($"    <accesslog>{X(AccessLog)}</accesslog>");
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
public static class IcecastUser
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
