using System.Buffers;
using Davecast.Wire;

namespace Davecast.Fuzz;

/// <summary>
/// Input: a TCP ingest connection's bytes (byte 0 picks the read size). Length-prefixed packets are taken as they
/// arrive, as the relay's TCP ingest does, until the stream ends or is found corrupt; each packet is parsed.
/// </summary>
public static class StreamTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 1) return;
        int readSize = 1 + input[0] * 4;
        var data = input[1..].ToArray();
        int fed = 0, kept = 0, packets = 0;
        while (fed < data.Length)
        {
            fed = Math.Min(data.Length, fed + readSize);
            var buffer = new ReadOnlySequence<byte>(data, kept, fed - kept);
            bool corrupt = false;
            while (StreamFraming.TryRead(ref buffer, out var packet, out corrupt))
            {
                FuzzFinding.Unless(++packets <= data.Length / (StreamFraming.PrefixSize + 1), "more packets than the bytes can hold");
                PacketTarget.ParseAndDecode(packet.ToArray());
            }
            if (corrupt) return;
            kept = fed - (int)buffer.Length;
        }
    }

    public static IEnumerable<(string, byte[])> Seeds()
    {
        var stream = new List<byte> { 63 };
        foreach (var (name, packet) in PacketTarget.Seeds())
        {
            var prefix = new byte[StreamFraming.PrefixSize];
            StreamFraming.WritePrefix(prefix, packet.Length);
            stream.AddRange(prefix);
            stream.AddRange(packet);
        }
        yield return ("connection", [.. stream]);
    }
}
