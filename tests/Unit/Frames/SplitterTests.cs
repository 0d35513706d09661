using System.Buffers;
using Davecast.Frames;

namespace Davecast.Tests.Frames;

/// <summary>Splitter rules on hand-built streams.</summary>
public sealed class SplitterTests
{
    // MPEG-1 Layer III 128 kbps 44100 Hz stereo, 417 bytes; and the same at 48000 Hz, 384 bytes.
    private static byte[] Mp3(byte fill) => Frame([0xFF, 0xFB, 0x90, 0x64], 417, fill);

    private static byte[] Mp3At48k(byte fill) => Frame([0xFF, 0xFB, 0x94, 0x64], 384, fill);

    private static byte[] Aac(int length, byte fill, int rateIndex = 4) =>
        Frame(HeaderTests.Adts(0, 1, rateIndex, 2, length, true, 1), length, fill);

    private static byte[] Frame(byte[] header, int length, byte fill)
    {
        var frame = new byte[length];
        header.CopyTo(frame, 0);
        frame.AsSpan(header.Length).Fill(fill);
        return frame;
    }

    [Fact]
    public void A_lone_frame_needs_the_final_block()
    {
        byte[] data = Mp3(1);
        var splitter = new FrameSplitter();
        var buffer = new ReadOnlySequence<byte>(data);
        Assert.False(splitter.TryReadFrame(ref buffer, false, out _, out _));
        Assert.Equal(data.Length, buffer.Length);
        Assert.Equal(CodecKind.Unknown, splitter.Codec);

        Assert.True(splitter.TryReadFrame(ref buffer, true, out var frame, out var p));
        Assert.Equal(data.Length, frame.Length);
        Assert.Equal(44100, p.SampleRate);
        Assert.True(buffer.IsEmpty);
        Assert.Equal(CodecKind.Mpeg, splitter.Codec);
        Assert.False(splitter.TryReadFrame(ref buffer, true, out _, out _));
    }

    [Fact]
    public void A_frame_is_released_once_the_next_header_arrives()
    {
        byte[] data = [.. Aac(200, 1), .. Aac(180, 2)];
        var splitter = new FrameSplitter(CodecKind.Aac);

        // One byte short of the second header: wait.
        var buffer = new ReadOnlySequence<byte>(data, 0, 206);
        Assert.False(splitter.TryReadFrame(ref buffer, false, out _, out _));
        Assert.Equal(206, buffer.Length);

        buffer = new ReadOnlySequence<byte>(data, 0, 207);
        Assert.True(splitter.TryReadFrame(ref buffer, false, out var first, out _));
        Assert.Equal(200, first.Length);
        Assert.Equal(7, buffer.Length);

        buffer = new ReadOnlySequence<byte>(data, 200, 180);
        Assert.False(splitter.TryReadFrame(ref buffer, false, out _, out _));
        Assert.True(splitter.TryReadFrame(ref buffer, true, out var second, out _));
        Assert.Equal(180, second.Length);
        Assert.Equal(2, splitter.FrameCount);
        Assert.Equal(0, splitter.SkippedBytes);
    }

    [Fact]
    public void Truncated_last_frame_and_short_trailers()
    {
        byte[] full = [.. Mp3(1), .. Mp3(2), .. Mp3(3)];
        var truncated = Split.Whole(full[..^10]);
        Assert.Equal(2, truncated.Frames.Count);
        Assert.Equal(417 - 10, truncated.SkippedBytes);

        // Fewer bytes than a header after the last frame: the frame stands, the bytes are skipped.
        var trailer = Split.Whole([.. full, 0x00, 0xFF, 0xFB]);
        Assert.Equal(3, trailer.Frames.Count);
        Assert.Equal(3, trailer.SkippedBytes);

        // Junk after a last frame that follows its predecessor.
        var junk = Split.Whole([.. full, .. new byte[500]]);
        Assert.Equal(3, junk.Frames.Count);
        Assert.Equal(500, junk.SkippedBytes);
    }

    [Fact]
    public void Waits_on_a_partial_header_but_not_on_garbage()
    {
        var splitter = new FrameSplitter();
        var buffer = new ReadOnlySequence<byte>([1, 2, 3, 0xFF, 0xF1, 0x50]);
        Assert.False(splitter.TryReadFrame(ref buffer, false, out _, out _));
        Assert.Equal(3, buffer.Length);
        Assert.Equal(3, splitter.SkippedBytes);

        buffer = new ReadOnlySequence<byte>([1, 2, 3, 0xFF, 0x00, 0x50, 0x49]);
        splitter = new FrameSplitter();
        Assert.False(splitter.TryReadFrame(ref buffer, false, out _, out _));
        Assert.Equal(1, buffer.Length); // an 'I' could start "ID3"

        Assert.False(splitter.TryReadFrame(ref buffer, true, out _, out _));
        Assert.True(buffer.IsEmpty);
        Assert.Equal(7, splitter.SkippedBytes);
    }

    [Fact]
    public void A_large_tag_is_skipped_as_it_arrives()
    {
        byte[] tag = GeneratedMedia.Id3v2Tag("big", padding: 5000);
        byte[] data = [.. tag, .. Mp3(1), .. Mp3(2)];
        var splitter = new FrameSplitter();
        var kept = ReadOnlySequence<byte>.Empty;
        int fed = 0;
        var frames = new List<long>();
        while (fed < data.Length)
        {
            int n = Math.Min(100, data.Length - fed);
            // Only the unconsumed tail is kept, so a skipped tag never piles up.
            byte[] joined = [.. kept.ToArray(), .. data.AsSpan(fed, n)];
            fed += n;
            kept = new ReadOnlySequence<byte>(joined);
            Assert.True(kept.Length <= 100 + 417 + 4);
            while (splitter.TryReadFrame(ref kept, fed == data.Length, out var frame, out _))
            {
                frames.Add(frame.Length);
            }
        }

        Assert.Equal([417L, 417L], frames);
        Assert.Equal(tag.Length, splitter.TagBytes);
        Assert.Equal(0, splitter.SkippedBytes);
    }

    [Fact]
    public void Id3_tags_with_footer_and_v1_trailers()
    {
        byte[] v2 = GeneratedMedia.Id3v2Tag("with footer", footer: true);
        byte[] v1 = [.. "TAG"u8, .. new byte[125]];
        byte[] data = [.. v2, .. Mp3(1), .. Mp3(2), .. v1, .. v2, .. Mp3(3), .. Mp3(4), .. v1];
        var result = Split.Whole(data);
        Assert.Equal(4, result.Frames.Count);
        Assert.Equal(2 * (v2.Length + 128), result.TagBytes);
        Assert.Equal(0, result.SkippedBytes);
        Split.AssertSame(result, Split.Chunked(data, seed: 3, maxChunk: 9));
    }

    [Fact]
    public void An_invalid_id3_header_is_garbage()
    {
        byte[] fake = [.. "ID3"u8, 4, 0, 0, 0, 0, 0x80, 0]; // size byte not syncsafe
        byte[] data = [.. Mp3(1), .. Mp3(2), .. fake, .. Mp3(3), .. Mp3(4)];
        var result = Split.Whole(data);
        Assert.Equal(4, result.Frames.Count);
        Assert.Equal(fake.Length, result.SkippedBytes);
        Assert.Equal(0, result.TagBytes);
    }

    [Fact]
    public void Neighbours_must_be_consistent()
    {
        // A lone 44100 Hz frame in front of 48000 Hz frames has nothing to confirm it.
        var lone = Split.Whole([.. Mp3(1), .. Mp3At48k(2), .. Mp3At48k(3)]);
        Assert.Equal([384, 384], lone.Frames.Select(f => f.Data.Length));
        Assert.Equal(417, lone.SkippedBytes);

        // A change of parameters after a confirmed run loses nothing.
        var change = Split.Whole([.. Mp3(1), .. Mp3(2), .. Mp3At48k(3), .. Mp3At48k(4)]);
        Assert.Equal([44100, 44100, 48000, 48000], change.Frames.Select(f => f.Parameters.SampleRate));
        Assert.Equal(0, change.SkippedBytes);

        var aac = Split.Whole([.. Aac(300, 1, rateIndex: 3), .. Aac(300, 2), .. Aac(310, 3)]);
        Assert.Equal([300, 310], aac.Frames.Select(f => f.Data.Length));
    }

    [Fact]
    public void A_given_codec_ignores_the_other()
    {
        byte[] data = [.. Mp3(1), .. Mp3(2), .. Mp3(3)];
        Assert.Empty(Split.Whole(data, CodecKind.Aac).Frames);
        Assert.Equal(3, Split.Whole(data, CodecKind.Mpeg).Frames.Count);
        byte[] aac = [.. Aac(200, 1), .. Aac(201, 2)];
        Assert.Empty(Split.Whole(aac, CodecKind.Mpeg).Frames);
        Assert.Equal(CodecKind.Aac, Split.Whole(aac).Codec);
    }

    [Fact]
    public void A_fake_header_right_after_a_frame_is_rejected_when_a_frame_starts_inside_it()
    {
        // Real frames 1 and 2, then a copied header followed by 100 junk bytes, then real frames 3 and 4.
        byte[] fake = [0xFF, 0xFB, 0x90, 0x64, .. Enumerable.Repeat((byte)0x11, 100)];
        byte[] data = [.. Mp3(1), .. Mp3(2), .. fake, .. Mp3(3), .. Mp3(4)];
        var result = Split.Whole(data);
        Assert.Equal([0L, 417L, 938L, 1355L], result.Frames.Select(f => f.Offset));
        Assert.Equal(fake.Length, result.SkippedBytes);
        Split.AssertSame(result, Split.Chunked(data, seed: 5, maxChunk: 50));
    }

    [Fact]
    public void No_allocation_per_frame()
    {
        byte[] data = File.ReadAllBytes(Davecast.Tests.Support.Repo.Fixture("programme.mp3"));
        int Run()
        {
            var splitter = new FrameSplitter();
            var buffer = new ReadOnlySequence<byte>(data);
            int count = 0;
            while (splitter.TryReadFrame(ref buffer, true, out _, out _))
            {
                count++;
            }

            return count;
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int frames = Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(frames > 700);
        Assert.True(allocated < 1000, $"{allocated} bytes allocated for {frames} frames");
    }
}
