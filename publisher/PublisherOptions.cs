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

    /// <summary>Source file; null means stdin.</summary>
    public string? File { get; init; }
    public bool Loop { get; init; }

    /// <summary>Unknown: detect from the frames.</summary>
    public CodecKind Codec { get; init; } = CodecKind.Unknown;

    /// <summary>Election priority: the highest value wins.</summary>
    public byte Priority { get; init; } = 100;

    public string KeyId { get; init; } = Protocol.DevelopmentKeyId;
    public string Key { get; init; } = Protocol.DevelopmentSecret;
    public int FramesPerPacket { get; init; } = 1;
    public int MaxDatagram { get; init; } = Protocol.DefaultMaxDatagram;

    /// <summary>icy-name, icy-genre... sent in Announce packets.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> IcyHeaders { get; init; } = [];

    /// <summary>Initial stream title, sent as Metadata.</summary>
    public string? Title { get; init; }

    /// <summary>Zero: no periodic statistics.</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(10);
}
