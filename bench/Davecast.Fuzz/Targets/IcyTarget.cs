using Davecast.Icy;

namespace Davecast.Fuzz;

/// <summary>
/// Input: byte 0 sets icy-metaint (×16), byte 1 the read size; the rest is what an Icecast server sent. Demuxed
/// whole and in reads of that size, the two must agree, every byte must be audio, a length byte or metadata text,
/// and every block's title must be readable and writable again.
/// </summary>
public static class IcyTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2) return;
        int interval = input[0] * 16;
        int readSize = 1 + input[1];
        var stream = input[2..];
        var whole = Demux(stream, interval, stream.Length);
        var pieces = Demux(stream, interval, readSize);
        FuzzFinding.Unless(whole.Audio.SequenceEqual(pieces.Audio), "audio differs when the stream is read in pieces");
        FuzzFinding.Unless(whole.Blocks.SequenceEqual(pieces.Blocks), "metadata differs when the stream is read in pieces");
        long text = whole.Blocks.Sum(b => (long)b.Bytes.Length);
        FuzzFinding.Unless(whole.Audio.Count + text + whole.LengthBytes <= stream.Length, "more bytes came out than went in");
        foreach (var block in whole.Blocks)
        {
            if (IcyMetadata.TryReadTitle(block.Bytes, out var title))
            {
                var again = IcyMetadata.TitleBlock(title);
                FuzzFinding.Unless(again.Length <= 1 + IcyMetadata.MaxTextBytes && again[0] * 16 == again.Length - 1, "a title block's length byte is wrong");
            }
        }
    }

    private sealed record Block(byte[] Bytes, long Position)
    {
        public bool Equals(Block? other) => other is not null && Position == other.Position && Bytes.AsSpan().SequenceEqual(other.Bytes);

        public override int GetHashCode() => Position.GetHashCode();
    }

    private sealed class Collect : IIcySink
    {
        public List<byte> Audio { get; } = [];
        public List<Block> Blocks { get; } = [];

        void IIcySink.Audio(ReadOnlySpan<byte> audio) => Audio.AddRange(audio);

        void IIcySink.Metadata(ReadOnlySpan<byte> text, long audioPosition) => Blocks.Add(new(text.ToArray(), audioPosition));
    }

    private static (List<byte> Audio, List<Block> Blocks, long LengthBytes) Demux(ReadOnlySpan<byte> stream, int interval, int readSize)
    {
        var demuxer = new IcyDemuxer(interval);
        var sink = new Collect();
        for (int at = 0; at < stream.Length; at += readSize)
            demuxer.Feed(stream.Slice(at, Math.Min(readSize, stream.Length - at)), sink);
        FuzzFinding.Unless(demuxer.AudioBytes == sink.Audio.Count, "AudioBytes disagrees with the audio passed on");
        return (sink.Audio, sink.Blocks, demuxer.Blocks);
    }

    public static IEnumerable<(string, byte[])> Seeds()
    {
        var audio = Enumerable.Range(0, 48).Select(i => (byte)(i * 37)).ToArray();
        var title = IcyMetadata.TitleBlock("Artist - Song");
        yield return ("two-blocks", [2, 7, .. audio.AsSpan(0, 32), .. title, .. audio.AsSpan(0, 32), 0, .. audio.AsSpan(0, 16)]);
        yield return ("no-metadata", [0, 255, .. audio]);
    }
}
