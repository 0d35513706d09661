using System.Net;

namespace Davecast.Silo;

/// <summary>Settings of one relay silo. Every one has a command-line option (see Program.cs and README).</summary>
public sealed class RelayOptions
{
    /// <summary>Relay name; also the Orleans silo name. Unique in the cluster.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>The site (datacenter) this relay belongs to: one Orleans cluster per site.</summary>
    public string Site { get; set; } = "davecast";

    /// <summary>Address edges reach this relay at (its feed).</summary>
    public IPAddress Advertise { get; set; } = IPAddress.Loopback;

    /// <summary>Address and port of the relay feed that edges connect to (0: any free port).</summary>
    public IPAddress FeedAddress { get; set; } = IPAddress.Any;
    public int FeedPort { get; set; } = 9100;

    public IPAddress IngestAddress { get; set; } = IPAddress.Any;

    /// <summary>UDP and TCP port the publishers send to.</summary>
    public int IngestPort { get; set; } = 9001;

    /// <summary>How much recent audio each encoder's window keeps.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Frames are published to edges in batches this far apart.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Mount health goes to the mount grains this often.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An encoder not heard from for this long is forgotten.</summary>
    public TimeSpan EncoderExpiry { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Mounts the relay holds at most; a new mount beyond is refused.</summary>
    public int MaxMounts { get; set; } = 10_000;

    /// <summary>Mounts one publisher key may hold on this relay; a new mount beyond is refused.</summary>
    public int MaxMountsPerKey { get; set; } = 1_000;

    /// <summary>Encoders one mount may hold on this relay; a new encoder beyond is refused.</summary>
    public int MaxEncodersPerMount { get; set; } = 16;

    /// <summary>Publisher TCP connections the ingest holds at most; a new one beyond is closed at once.</summary>
    public int IngestMaxConnections { get; set; } = 8_192;

    /// <summary>Publisher TCP connections one source address (IPv6: one /64) may hold.</summary>
    public int IngestMaxConnectionsPerAddress { get; set; } = 256;

    /// <summary>A TCP connection that brought no packet with a valid tag within this time is closed.</summary>
    public TimeSpan IngestAuthTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Slots in each encoder's frame ring; at least the window's frame count (10 s of 48 kHz Layer I is 1250).</summary>
    public int RingCapacity { get; set; } = 2048;

    /// <summary>Publisher keys: key id to secret.</summary>
    public Dictionary<string, string> Keys { get; set; } = new() { [Wire.Protocol.DevelopmentKeyId] = Wire.Protocol.DevelopmentSecret };
}
