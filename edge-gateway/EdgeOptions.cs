namespace Davecast.Edge;

/// <summary>Settings of one edge gateway; each has a command-line option (Program.cs, README).</summary>
public sealed class EdgeOptions
{
    /// <summary>Default of the edge's passwords, as Icecast's sample configuration has it: refused outside Development.</summary>
    public const string DevelopmentPassword = "hackme";

    /// <summary>How long a missing frame is waited for (for a copy from another relay) before it is given up.</summary>
    public TimeSpan Hold { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>How long a backfill request to the relays' windows may take before the backup encoder is used.</summary>
    public TimeSpan BackfillWait { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The sites whose relays this edge follows: one Orleans cluster each.</summary>
    public IReadOnlyList<Sites.SiteSpec> Sites { get; set; } = [];

    /// <summary>This edge's name in mount health reports.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>Icecast's default burst-size: what a new listener gets when neither burst option is given.</summary>
    public const int DefaultBurstBytes = 64 * 1024;

    /// <summary>
    /// Bytes of recent audio a new listener gets at once, so that its player starts without waiting; null when not
    /// given (see <see cref="Outputs.Icecast.BurstLimit.Of"/>).
    /// </summary>
    public int? BurstBytes { get; set; }

    /// <summary>Seconds of recent audio a new listener gets at once, whatever the bitrate; null when not given.</summary>
    public double? BurstSeconds { get; set; }

    /// <summary>
    /// Least time between two writes to a listener: audio emitted meanwhile goes out in one write. Zero writes each
    /// pump's frames at once.
    /// </summary>
    public TimeSpan WriteInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a mount may have no live encoder (none healthy by the election's encoder timeout) before it is gone:
    /// new listeners get 404 and its listeners are closed, as Icecast does when a source leaves without a fallback.
    /// </summary>
    public TimeSpan MountTimeout { get; set; } = DefaultMountTimeout;

    public static readonly TimeSpan DefaultMountTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often the mount list and each mount's relays and live encoder are refreshed.</summary>
    public TimeSpan Refresh { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Audio bytes between ICY metadata blocks, for listeners that send <c>Icy-MetaData: 1</c>.</summary>
    public int IcyMetaInt { get; set; } = Icy.IcyMetadata.DefaultInterval;

    /// <summary>Listeners this edge serves at once, over all mounts; more are refused with 503.</summary>
    public int MaxListeners { get; set; } = 10_000;

    /// <summary>Listeners one mount may have at this edge; 0: only the global limit applies.</summary>
    public int MaxListenersPerMount { get; set; }

    /// <summary>Connections this edge holds at once, idle ones and requests being read included; more are closed at once.</summary>
    public int MaxConnections { get; set; } = 10_000 + ConnectionHeadroom;

    /// <summary>
    /// What <see cref="MaxConnections"/> is above <see cref="MaxListeners"/> unless given: room for status pages, admin
    /// requests, scrapes and heads being read, so that a full edge still answers listeners with 503 and a reason.
    /// </summary>
    public const int ConnectionHeadroom = 1000;

    /// <summary>Connections one client address may hold at once; 0: no limit (behind a proxy, all share its address).</summary>
    public int MaxConnectionsPerAddress { get; set; } = DefaultMaxConnectionsPerAddress;

    // An office or campus NAT rarely has more listeners of one edge; one host then holds at most 1 % of the default cap.
    public const int DefaultMaxConnectionsPerAddress = 100;

    /// <summary>Reverse proxies in front of this edge (nginx for TLS): held to <see cref="MaxConnections"/> only, not per address.</summary>
    public IReadOnlyList<System.Net.IPAddress> ProxyAddresses { get; set; } = [];

    /// <summary>How long a connection may take to send a whole request head; then it is closed.</summary>
    public TimeSpan HeaderTimeout { get; set; } = Http.RequestHeadParser.DefaultTimeout;

    /// <summary>A listener whose unsent audio passes this many bytes is dropped, so that it cannot hold the others up.</summary>
    public long ListenerQueueBytes { get; set; } = 512 * 1024;

    /// <summary>Basic-auth user and password that an Icecast slave uses for <c>/admin/streamlist.txt</c>.</summary>
    public string RelayUser { get; set; } = "relay";
    public string RelayPassword { get; set; } = DevelopmentPassword;

    /// <summary>Basic-auth user and password for the other admin endpoints (<c>/admin/metadata</c>, <c>/admin/stats</c>, <c>/admin/listmounts</c>, <c>/admin/listclients</c>, <c>/admin/killclient</c>).</summary>
    public string AdminUser { get; set; } = "admin";
    public string AdminPassword { get; set; } = DevelopmentPassword;

    /// <summary>Host name in listen URLs (status-json's listenurl), as Icecast's &lt;hostname&gt;.</summary>
    public string Hostname { get; set; } = "localhost";

    /// <summary>The port listeners reach this edge on, for listen URLs.</summary>
    public int PublicPort { get; set; } = 8000;

    /// <summary>status-json's location and admin fields.</summary>
    public string Location { get; set; } = "Earth";
    public string AdminContact { get; set; } = "icemaster@localhost";

    /// <summary>Listener authentication by URL (Icecast's url authenticator): which hook decides on which mount.</summary>
    public Listeners.ListenerAuthSettings ListenerAuth { get; set; } = Listeners.ListenerAuthSettings.None;

    /// <summary>The response header (name and value) by which the hook admits a listener, as Icecast's auth_header.</summary>
    public string ListenerAuthHeader { get; set; } = "icecast-auth-user";
    public string ListenerAuthHeaderValue { get; set; } = "1";

    /// <summary>How long the hook may take to answer before it counts as down.</summary>
    public TimeSpan ListenerAuthTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether listeners are admitted (true) or refused with 503 (false) while the hook is down.</summary>
    public bool ListenerAuthFailOpen { get; set; }

    /// <summary>
    /// Seconds of programme per HLS segment, and the playlists' target duration: 6, as Apple's authoring guidelines
    /// recommend, so that a player holding three segments starts about 18 s behind live and asks for a segment every 6 s.
    /// </summary>
    /// <summary>Whether mounts are served as HLS too (<c>--hls</c>): off unless asked for, since each mount then keeps a window of segments.</summary>
    public bool Hls { get; set; }

    public int HlsSegmentSeconds { get; set; } = DefaultHlsSegmentSeconds;

    public const int DefaultHlsSegmentSeconds = 6;

    /// <summary>Segments an HLS media playlist lists (and the edge keeps): 6 segments of 6 s, a minute of programme.</summary>
    public int HlsWindow { get; set; } = DefaultHlsWindow;

    public const int DefaultHlsWindow = 6;

    /// <summary>Other edges (base URLs) whose media playlists the multivariant playlist lists as redundant variants.</summary>
    public IReadOnlyList<Uri> HlsPeers { get; set; } = [];
}
