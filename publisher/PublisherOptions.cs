using System.Net;
using Davecast.Frames;
using Davecast.Wire;

namespace Davecast.Publisher;

/// <summary>Which transports each relay gets.</summary>
[Flags]
public enum Transports
{
    Udp = 1,
    Tcp = 2,
    Both = Udp | Tcp,
}

/// <summary>Everything one publisher run needs, as parsed from the command line.</summary>
public sealed record PublisherOptions
{
    public required string Mount { get; init; }
    public required string EncoderId { get; init; }
    public required IReadOnlyList<RelayAddress> Relays { get; init; }
    public Transports Transports { get; init; } = Transports.Both;

    /// <summary>Multicast groups every packet also goes to (path id = group index * 4 + 2).</summary>
    public IReadOnlyList<MulticastGroup> Multicast { get; init; } = [];

    /// <summary>Address of the interface multicast leaves by.</summary>
    public IPAddress MulticastInterface { get; init; } = IPAddress.Loopback;

    /// <summary>Hops a multicast datagram may travel; 1 stays on the local network.</summary>
    public int MulticastTtl { get; init; } = 1;

    /// <summary>
    /// Media time of frame 0, microseconds since the Unix epoch, and the wall-clock instant pacing counts from;
    /// null: the session's start. Publishers of one programme given the same value stamp the same position alike.
    /// </summary>
    public long? StartAtMicros { get; init; }

    /// <summary>Source file; null means stdin, unless <see cref="SourceUrl"/> or <see cref="ListenSource"/> is given.</summary>
    public string? File { get; init; }
    public bool Loop { get; init; }

    /// <summary>Icecast or HTTP mount to pull frames, icy headers and titles from.</summary>
    public Uri? SourceUrl { get; init; }

    /// <summary>Longest wait between attempts to reconnect to <see cref="SourceUrl"/>.</summary>
    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where Icecast source clients connect to push frames (PUT or SOURCE of <see cref="Mount"/>).</summary>
    public IPEndPoint? ListenSource { get; init; }

    /// <summary>The login of source clients at <see cref="ListenSource"/> (Icecast's default: source / hackme).</summary>
    public Credentials SourceLogin { get; init; } = new("source", "hackme");

    /// <summary>A second login that may update titles at <see cref="ListenSource"/>; null: none.</summary>
    public Credentials? AdminLogin { get; init; }

    /// <summary>What a connection to <see cref="ListenSource"/> may hold before it streams.</summary>
    public Sources.SourcePortLimits SourceLimits { get; init; } = Sources.SourcePortLimits.Default;

    /// <summary>Where <c>GET /metrics</c> is served (Prometheus); null: nowhere.</summary>
    public IPEndPoint? MetricsListen { get; init; }

    /// <summary>Unknown: detect from the frames.</summary>
    public CodecKind Codec { get; init; } = CodecKind.Unknown;

    /// <summary>Election priority: the highest value wins.</summary>
    public byte Priority { get; init; } = 100;

    public string KeyId { get; init; } = Protocol.DevelopmentKeyId;
    public string Key { get; init; } = Protocol.DevelopmentSecret;
    public int FramesPerPacket { get; init; } = 1;
    public int MaxDatagram { get; init; } = Protocol.DefaultMaxDatagram;

    /// <summary>
    /// icy-name, icy-genre... given on the command line, sent in Announce packets; they override the source's
    /// headers of the same names (<see cref="Sources.StationInfo.Merge"/>).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> IcyHeaders { get; init; } = [];

    /// <summary>Initial stream title, sent as Metadata.</summary>
    public string? Title { get; init; }

    /// <summary>Zero: no periodic statistics (refusals at the source port are then logged every <see cref="DefaultStatsInterval"/>).</summary>
    public TimeSpan StatsInterval { get; init; } = DefaultStatsInterval;

    public static readonly TimeSpan DefaultStatsInterval = TimeSpan.FromSeconds(10);
}

/// <summary>A user name and password of HTTP basic authentication.</summary>
public sealed record Credentials(string User, string Password)
{
    public override string ToString() => $"{User} (password hidden)";
}
