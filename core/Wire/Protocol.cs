namespace Davecast.Wire;

/// <summary>Constants of wire protocol version 1 (docs/protocol.md).</summary>
public static class Protocol
{
    public const byte Magic0 = (byte)'D';
    public const byte Magic1 = (byte)'C';
    public const byte Version = 1;

    /// <summary>Bytes before the variable-length names.</summary>
    public const int FixedHeaderSize = 36;

    /// <summary>Truncated HMAC-SHA256 tag at the end of every packet.</summary>
    public const int TagSize = 16;

    public const int MaxMountLength = 128;
    public const int MaxEncoderLength = 64;
    public const int MaxKeyIdLength = 64;
    public const int MaxFramesPerPacket = 32;

    /// <summary>Largest packet accepted on any transport (TCP length prefix included in nothing).</summary>
    public const int MaxPacketSize = 16 * 1024;

    /// <summary>Default largest UDP datagram a publisher builds, below a 1500-byte Ethernet MTU.</summary>
    public const int DefaultMaxDatagram = 1400;

    /// <summary>Key id and secret that work out of the box in Development.</summary>
    public const string DevelopmentKeyId = "dev";
    public const string DevelopmentSecret = "davecast-development-secret";
}
