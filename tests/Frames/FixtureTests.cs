using Davecast.Frames;
using Davecast.Tests.Support;

namespace Davecast.Tests.Frames;

/// <summary>The committed fixtures (made by fixtures/make-fixtures.sh).</summary>
public sealed class FixtureTests
{
    public static string FixturesDirectory => Path.Combine(Repo.Root, "fixtures");

    [Theory]
    [InlineData("programme.aac", CodecKind.Aac, 2, 0, 4, 1024)]
    [InlineData("programme.mp3", CodecKind.Mpeg, 3, 128, 10, 1152)]
    public void Fixture_has_the_expected_parameters(string name, CodecKind codec, int profileOrLayer, int kbps, int version, int samples)
    {
        string path = Path.Combine(FixturesDirectory, name);
        var frames = FrameFile.ReadAll(path);
        var expected = new CodecParameters(codec, 44100, 2, kbps, profileOrLayer, version, samples);
        Assert.All(frames, f => Assert.Equal(expected, f.Parameters));

        // Pure audio frames: no tags, no garbage, no Xing/Info frame.
        byte[] data = File.ReadAllBytes(path);
        Assert.Equal(data.Length, frames.Sum(f => (long)f.Data.Length));
        Assert.True(frames[0].Data.AsSpan().IndexOf("Xing"u8) < 0 && frames[0].Data.AsSpan().IndexOf("Info"u8) < 0);

        double seconds = frames.Count * (double)samples / 44100;
        Assert.InRange(seconds, 15, 30);
        if (codec == CodecKind.Aac)
        {
            double averageKbps = data.Length * 8 / seconds / 1000;
            Assert.InRange(averageKbps, 40, 56);
        }

        // ffprobe agrees on every boundary.
        var packets = GeneratedMedia.Probe(path);
        Assert.Equal(packets.Count, frames.Count);
        long pos = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal((pos, frames[i].Data.Length), packets[i]);
            pos += frames[i].Data.Length;
        }
    }

    [Theory]
    [InlineData("programme.aac")]
    [InlineData("programme.mp3")]
    public void No_two_frames_are_identical(string name)
    {
        var frames = FrameFile.ReadAll(Path.Combine(FixturesDirectory, name));
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.True(seen.Add(frames[i].Data), $"frame {i} repeats an earlier frame");
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
