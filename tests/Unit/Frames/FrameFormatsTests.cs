using Davecast.Frames;

namespace Davecast.Tests.Frames;

/// <summary>The known formats as a set: detection, partial headers, and the two rules that compare parameters.</summary>
public sealed class FrameFormatsTests
{
    private static readonly byte[] Mp3Header = [0xFF, 0xFB, 0x90, 0x64];
    private static readonly byte[] AdtsHeader = HeaderTests.Adts(0, 1, 4, 2, 300, noCrc: true, blocks: 1);

    [Fact]
    public void All_lists_each_codec_once_and_For_finds_it_there()
    {
        Assert.Equal([CodecKind.Mpeg, CodecKind.Aac], FrameFormats.All.Select(f => f.Codec));
        foreach (var format in FrameFormats.All) Assert.Same(format, FrameFormats.For(format.Codec));
        Assert.Equal(FrameFormats.All.Max(f => f.HeaderSize), FrameFormats.MaxHeaderSize);
    }

    [Fact]
    public void Detect_names_the_format_of_a_header_and_nothing_for_garbage()
    {
        Assert.Same(MpegAudioFormat.Instance, FrameFormats.Detect(Mp3Header, out int mp3Length, out var mp3));
        Assert.Equal(417, mp3Length);
        Assert.Equal(CodecKind.Mpeg, mp3.Codec);

        Assert.Same(AdtsFormat.Instance, FrameFormats.Detect(AdtsHeader, out int aacLength, out var aac));
        Assert.Equal(300, aacLength);
        Assert.Equal(44100, aac.SampleRate);

        Assert.Null(FrameFormats.Detect([0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], out int none, out var nothing));
        Assert.Equal(0, none);
        Assert.Equal(default, nothing);
        Assert.Null(FrameFormats.Detect(Mp3Header.AsSpan(0, 3), out _, out _));
    }

    [Fact]
    public void A_partial_header_may_still_become_one_only_of_a_format_whose_sync_it_starts()
    {
        // One byte of sync: either format.
        Assert.All(FrameFormats.All, f => Assert.True(f.CouldBecomeHeader([0xFF])));
        // MPEG sync bits but layer 01: not ADTS (layer 00).
        Assert.True(MpegAudioFormat.Instance.CouldBecomeHeader([0xFF, 0xFB]));
        Assert.False(AdtsFormat.Instance.CouldBecomeHeader([0xFF, 0xFB]));
        // ADTS's first bytes, shorter than either header, are an MPEG audio sync too (MPEG rejects layer 00 only when parsing).
        Assert.True(AdtsFormat.Instance.CouldBecomeHeader(AdtsHeader.AsSpan(0, 3)));
        Assert.True(MpegAudioFormat.Instance.CouldBecomeHeader(AdtsHeader.AsSpan(0, 3)));
        // As long as a header or longer: no longer partial.
        Assert.False(MpegAudioFormat.Instance.CouldBecomeHeader(Mp3Header));
        Assert.False(AdtsFormat.Instance.CouldBecomeHeader(AdtsHeader));
        // No sync.
        Assert.All(FrameFormats.All, f => Assert.False(f.CouldBecomeHeader([0xFE])));
        Assert.All(FrameFormats.All, f => Assert.False(f.CouldBecomeHeader([0xFF, 0x10])));
    }

    [Fact]
    public void Splice_compatibility_and_one_stream_are_different_rules_for_AAC()
    {
        var lc = new CodecParameters(CodecKind.Aac, 44100, 2, 0, 2, 4, 1024);
        // The ADTS ID bit (MPEG-2 rather than MPEG-4): a decoder does not care, but one stream does not change it.
        var mpeg2Id = lc with { Version = 2 };
        Assert.True(lc.IsSpliceCompatibleWith(mpeg2Id));
        Assert.False(lc.IsSameStreamAs(mpeg2Id));
        // Two raw data blocks per ADTS frame: frames of another duration cannot replace these, but a stream may vary it.
        var twoBlocks = lc with { SamplesPerFrame = 2048 };
        Assert.False(lc.IsSpliceCompatibleWith(twoBlocks));
        Assert.True(lc.IsSameStreamAs(twoBlocks));
        // The bitrate matters to neither; the sample rate to both.
        var mp3 = new CodecParameters(CodecKind.Mpeg, 44100, 2, 128, 3, 10, 1152);
        Assert.True(mp3.IsSpliceCompatibleWith(mp3 with { BitrateKbps = 320 }));
        Assert.True(mp3.IsSameStreamAs(mp3 with { BitrateKbps = 320 }));
        Assert.False(lc.IsSpliceCompatibleWith(lc with { SampleRate = 48000 }));
        Assert.False(lc.IsSameStreamAs(lc with { SampleRate = 48000 }));
    }
}
