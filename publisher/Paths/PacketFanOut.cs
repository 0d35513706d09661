using Davecast.Wire;

namespace Davecast.Publisher.Paths;

/// <summary>
/// Sends one packet on every path. The packet is built once; per path only its path id and its tag are written,
/// since the tag covers the path id (a relay's replay guard tells the copies on different paths apart by it).
/// </summary>
public static class PacketFanOut
{
    /// <param name="packet">A packet from one of <paramref name="builder"/>'s *Unsigned methods, with room for the tag.</param>
    /// <param name="signedLength">What that method returned.</param>
    public static void Send(IReadOnlyList<IPacketPath> paths, PacketBuilder builder, Span<byte> packet, int signedLength)
    {
        // Indexed: a foreach over the interface would box an enumerator per packet.
        for (int p = 0; p < paths.Count; p++)
        {
            var path = paths[p];
            int length = builder.SignFor(packet, signedLength, path.PathId);
            path.Send(packet[..length]);
        }
    }
}
