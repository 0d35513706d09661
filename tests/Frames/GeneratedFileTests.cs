using Davecast.Frames;

namespace Davecast.Tests.Frames;

/// <summary>The splitter against ffprobe's packet list for files that ffmpeg made.</summary>
public sealed class GeneratedFileTests
{
    public static IEnumerable<object[]> Ids => GeneratedMedia.AllIds();

    [Theory]
    [MemberData(nameof(Ids))]
    public void Frames_match_ffprobe_packets(string id)
    {
        var file = GeneratedMedia.Get(id);
        var result = Split.Whole(file.Data);

        AssertMatchesProbe(file, result.Frames);
        Assert.Equal(0, result.SkippedBytes);
        Assert.Equal(file.Data.Length - file.Packets.Sum(p => (long)p.Size), result.TagBytes);
        Assert.Equal(file.Spec.Tags != TagStyle.None, result.TagBytes > 0);
        if (file.Spec.Tags == TagStyle.Id3v2AndV1)
        {
            Assert.Equal("TAG"u8.ToArray(), file.Data[^128..^125]);
        }

        Assert.Equal(file.Spec.Codec, result.Codec);
        // Given the codec, the result is the same.
        Split.AssertSame(result, Split.Whole(file.Data, file.Spec.Codec));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Parameters_match_what_ffmpeg_was_asked_for(string id)
    {
        var file = GeneratedMedia.Get(id);
        var spec = file.Spec;
        var frames = Split.Whole(file.Data).Frames;
        Assert.True(frames.Count >= GeneratedMedia.DurationSeconds * spec.SampleRate / spec.SamplesPerFrame);

        foreach (var frame in frames)
        {
            var p = frame.Parameters;
            Assert.Equal(spec.Codec, p.Codec);
            Assert.Equal(spec.SampleRate, p.SampleRate);
            Assert.Equal(spec.Channels, p.Channels);
            Assert.Equal(spec.SamplesPerFrame, p.SamplesPerFrame);
            if (spec.Codec == CodecKind.Aac)
            {
                Assert.Equal(2, p.ProfileOrLayer); // AAC-LC
                Assert.Equal(0, p.BitrateKbps);
            }
            else
            {
                Assert.Equal(spec.Layer, p.ProfileOrLayer);
                Assert.Equal(spec.MpegVersion, p.Version);
                Assert.Equal(spec.BitrateKbps, p.BitrateKbps);
            }
        }

        // AAC has no bitrate in its headers: check the average instead, loosely.
        if (spec.Codec == CodecKind.Aac)
        {
            double seconds = frames.Count * (double)spec.SamplesPerFrame / spec.SampleRate;
            double kbps = frames.Sum(f => f.Data.Length) * 8 / seconds / 1000;
            Assert.InRange(kbps, spec.BitrateKbps * 0.7, spec.BitrateKbps * 1.3);
        }
    }

    [Theory]
    [InlineData("mp3-44100-stereo-128k-xing")]
    [InlineData("mp3-22050-mono-32k-xing-id3")]
    public void A_Xing_info_frame_is_returned_as_a_frame(string id)
    {
        var file = GeneratedMedia.Get(id);
        var result = Split.Whole(file.Data);

        // ffprobe hides the info frame; it sits between the tag (if any) and the first packet.
        var info = result.Frames[0];
        Assert.Equal(result.TagBytes, info.Offset);
        Assert.Equal(file.Packets[0].Pos, info.Offset + info.Data.Length);
        Assert.True(info.Data.AsSpan().IndexOf("Info"u8) >= 0 || info.Data.AsSpan().IndexOf("Xing"u8) >= 0);
        AssertMatchesProbe(file, result.Frames.Skip(1).ToList());
        Assert.Equal(0, result.SkippedBytes);
    }

    [Theory]
    [InlineData("aac-44100-stereo-48k-id3")]
    [InlineData("mp3-44100-stereo-128k-id3")]
    [InlineData("mp3-22050-mono-48k-id3-v1")]
    [InlineData("mp2-48000-stereo-256k-id3")]
    [InlineData("mp3-22050-stereo-64k")]
    public void Tags_at_loop_points_are_skipped(string id)
    {
        // A looping source: the same file three times, and a hand-made tag with a footer in between.
        var file = GeneratedMedia.Get(id);
        byte[] extraTag = GeneratedMedia.Id3v2Tag("loop", footer: true, padding: 300);
        byte[] stream = [.. file.Data, .. file.Data, .. extraTag, .. file.Data];
        var result = Split.Whole(stream);

        long fileTags = file.Data.Length - file.Packets.Sum(p => (long)p.Size);
        Assert.Equal(3 * file.Packets.Count, result.Frames.Count);
        Assert.Equal(3 * fileTags + extraTag.Length, result.TagBytes);
        Assert.Equal(0, result.SkippedBytes);
        long[] starts = [0, file.Data.Length, 2L * file.Data.Length + extraTag.Length];
        for (int copy = 0; copy < 3; copy++)
        {
            for (int i = 0; i < file.Packets.Count; i++)
            {
                var (pos, size) = file.Packets[i];
                var frame = result.Frames[copy * file.Packets.Count + i];
                Assert.Equal(starts[copy] + pos, frame.Offset);
                Assert.Equal(size, frame.Data.Length);
            }
        }

        Split.AssertSame(result, Split.Chunked(stream, seed: 7, maxChunk: 200));
    }

    [Fact]
    public void FrameFile_reads_every_frame_of_a_file()
    {
        var file = GeneratedMedia.Get("mp3-44100-stereo-128k-id3");
        string path = Path.Combine(Path.GetTempPath(), $"davecast-framefile-{Guid.NewGuid():N}.mp3");
        File.WriteAllBytes(path, file.Data);
        try
        {
            var frames = FrameFile.ReadAll(path);
            Assert.Equal(file.Packets.Count, frames.Count);
            for (int i = 0; i < frames.Count; i++)
            {
                var (pos, size) = file.Packets[i];
                Assert.True(file.Data.AsSpan((int)pos, size).SequenceEqual(frames[i].Data));
                Assert.Equal(44100, frames[i].Parameters.SampleRate);
            }

            var fromSpan = FrameFile.ReadAll(file.Data, CodecKind.Mpeg);
            Assert.Equal(frames.Select(f => f.Data.Length), fromSpan.Select(f => f.Data.Length));
            Assert.Empty(FrameFile.ReadAll(file.Data, CodecKind.Aac));
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static void AssertMatchesProbe(GeneratedFile file, IReadOnlyList<SplitFrame> frames)
    {
        Assert.True(file.Packets.Count > 10, "ffprobe listed too few packets");
        Assert.Equal(file.Packets.Count, frames.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            var (pos, size) = file.Packets[i];
            Assert.True(pos == frames[i].Offset, $"frame {i}: offset {frames[i].Offset}, ffprobe says {pos}");
            Assert.True(size == frames[i].Data.Length, $"frame {i}: length {frames[i].Data.Length}, ffprobe says {size}");
            Assert.True(file.Data.AsSpan((int)pos, size).SequenceEqual(frames[i].Data), $"frame {i}: bytes differ");
        }
    }
}
