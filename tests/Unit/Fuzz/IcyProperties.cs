using System.Runtime.InteropServices;
using CsCheck;
using Davecast.Icy;

namespace Davecast.Tests.Fuzz;

/// <summary>Audio with title blocks every interval, read in random pieces: the audio and every title come back, each where it was.</summary>
public sealed class IcyProperties
{
    private static readonly int Iterations = PropertyRuns.Inputs;

    private sealed class Collect : IIcySink
    {
        public List<byte> Audio { get; } = [];
        public List<(string? Title, long Position)> Titles { get; } = [];

        void IIcySink.Audio(ReadOnlySpan<byte> audio) => Audio.AddRange(audio);

        void IIcySink.Metadata(ReadOnlySpan<byte> text, long audioPosition) =>
            Titles.Add((IcyMetadata.TryReadTitle(text, out var title) ? title : null, audioPosition));
    }

    [Fact]
    public void Audio_and_every_title_come_back_whatever_the_reads() =>
        Bounded.Run(() => Gen.Select(Gen.Int[1, 64], Gen.Byte.Array[0, 200], Gen.String[Gen.Char.AlphaNumeric, 0, 30].Null().Array[0, 8], Gen.Int[1, 64])
            .Sample((interval, audio, titles, readSize) =>
            {
                var stream = new List<byte>();
                var expected = new List<(string?, long)>();
                int at = 0, block = 0;
                while (audio.Length - at >= interval)
                {
                    stream.AddRange(audio.AsSpan(at, interval));
                    at += interval;
                    string? title = block < titles.Length ? titles[block] : null;
                    block++;
                    if (title is null)
                    {
                        stream.Add(0);
                        continue;
                    }
                    stream.AddRange(IcyMetadata.TitleBlock(title));
                    expected.Add((title, at));
                }
                stream.AddRange(audio.AsSpan(at));

                var demuxer = new IcyDemuxer(interval);
                var sink = new Collect();
                var bytes = stream.ToArray();
                for (int i = 0; i < bytes.Length; i += readSize)
                    demuxer.Feed(bytes.AsSpan(i, Math.Min(readSize, bytes.Length - i)), sink);
                // SequenceEqual, not Assert.Equal on collections, and a message built only on failure: the same checks, cheap at 10^5 inputs.
                if (!CollectionsMarshal.AsSpan(sink.Audio).SequenceEqual(audio)) Assert.Fail("the audio differs");
                if (!sink.Titles.SequenceEqual(expected)) Assert.Fail($"titles {string.Join(", ", sink.Titles)}, expected {string.Join(", ", expected)}");
                Assert.Equal(block, demuxer.Blocks);
            }, iter: Iterations), "the ICY property");
}
