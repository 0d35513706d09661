using Davecast.Frames;

namespace Davecast.Tests.Frames;

/// <summary>Single headers, with lengths worked out by hand from the specifications.</summary>
public sealed class HeaderTests
{
    [Theory]
    // MPEG-1 Layer III, 128 kbps, 44100 Hz: 144 * 128000 / 44100 = 417 (+1 padded).
    [InlineData(new byte[] { 0xFF, 0xFB, 0x90, 0x64 }, 417, 44100, 2, 128, 3, 10, 1152)]
    [InlineData(new byte[] { 0xFF, 0xFB, 0x92, 0x64 }, 418, 44100, 2, 128, 3, 10, 1152)]
    [InlineData(new byte[] { 0xFF, 0xFA, 0x90, 0xC4 }, 417, 44100, 1, 128, 3, 10, 1152)]
    // MPEG-1 Layer III, 320 kbps, 32000 Hz: 144 * 320000 / 32000 = 1440.
    [InlineData(new byte[] { 0xFF, 0xFB, 0xE8, 0x00 }, 1440, 32000, 2, 320, 3, 10, 1152)]
    // MPEG-2 Layer III, 64 kbps, 22050 Hz: 72 * 64000 / 22050 = 208.
    [InlineData(new byte[] { 0xFF, 0xF3, 0x80, 0x00 }, 208, 22050, 2, 64, 3, 20, 576)]
    // MPEG-2.5 Layer III, 8 kbps, 8000 Hz: 72 * 8000 / 8000 = 72.
    [InlineData(new byte[] { 0xFF, 0xE3, 0x18, 0xC4 }, 72, 8000, 1, 8, 3, 25, 576)]
    // MPEG-2.5 Layer III, 64 kbps, 12000 Hz, padded: 72 * 64000 / 12000 + 1 = 385.
    [InlineData(new byte[] { 0xFF, 0xE3, 0x86, 0x40 }, 385, 12000, 2, 64, 3, 25, 576)]
    // MPEG-1 Layer II, 192 kbps, 48000 Hz: 144 * 192000 / 48000 = 576.
    [InlineData(new byte[] { 0xFF, 0xFD, 0xA4, 0x04 }, 576, 48000, 2, 192, 2, 10, 1152)]
    // MPEG-2 Layer II, 160 kbps, 16000 Hz: 144 * 160000 / 16000 = 1440.
    [InlineData(new byte[] { 0xFF, 0xF5, 0xE8, 0xC0 }, 1440, 16000, 1, 160, 2, 20, 1152)]
    // MPEG-1 Layer I, 288 kbps, 44100 Hz: (12 * 288000 / 44100) * 4 = 78 * 4 = 312; padded (78 + 1) * 4 = 316.
    [InlineData(new byte[] { 0xFF, 0xFF, 0x90, 0x00 }, 312, 44100, 2, 288, 1, 10, 384)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0x92, 0x00 }, 316, 44100, 2, 288, 1, 10, 384)]
    // MPEG-2 Layer I, 256 kbps, 16000 Hz: (12 * 256000 / 16000) * 4 = 768.
    [InlineData(new byte[] { 0xFF, 0xF7, 0xE8, 0x00 }, 768, 16000, 2, 256, 1, 20, 384)]
    public void Mpeg_headers_parse(byte[] header, int length, int rate, int channels, int kbps, int layer, int version, int samples)
    {
        Assert.True(MpegAudioFormat.Instance.TryParseHeader(header, out int frameLength, out var p));
        Assert.Equal(length, frameLength);
        Assert.Equal(new CodecParameters(CodecKind.Mpeg, rate, channels, kbps, layer, version, samples), p);
        Assert.False(AdtsFormat.Instance.TryParseHeader([.. header, 0, 0, 0], out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFB, 0x00, 0x64 })] // free format bitrate
    [InlineData(new byte[] { 0xFF, 0xFB, 0xF0, 0x64 })] // bitrate index 15
    [InlineData(new byte[] { 0xFF, 0xFB, 0x9C, 0x64 })] // sample rate index 3
    [InlineData(new byte[] { 0xFF, 0xEB, 0x90, 0x64 })] // version 01 (reserved)
    [InlineData(new byte[] { 0xFF, 0xF9, 0x90, 0x64 })] // layer 00 (reserved)
    [InlineData(new byte[] { 0xFF, 0xE1, 0x90, 0x64 })] // MPEG-2.5, layer 00
    [InlineData(new byte[] { 0xFF, 0xFB, 0x90, 0x66 })] // emphasis 10 (reserved)
    [InlineData(new byte[] { 0xFE, 0xFB, 0x90, 0x64 })] // no sync
    [InlineData(new byte[] { 0xFF, 0xDB, 0x90, 0x64 })] // sync one bit short
    [InlineData(new byte[] { 0xFF, 0xFB, 0x90 })] // too short
    [InlineData(new byte[] { 0xFF, 0xF1, 0x50, 0x80 })] // an ADTS header
    public void Invalid_mpeg_headers_are_rejected(byte[] header)
    {
        Assert.False(MpegAudioFormat.Instance.TryParseHeader(header, out _, out _));
    }

    [Theory]
    // AAC-LC, 44100 Hz (index 4), stereo, 300 bytes, no CRC.
    [InlineData(0, 1, 4, 2, 300, true, 1, 44100, 2, 2, 4, 1024)]
    // MPEG-2 ID, Main profile, 8000 Hz (index 11), mono.
    [InlineData(1, 0, 11, 1, 100, true, 1, 8000, 1, 1, 2, 1024)]
    // 7350 Hz (index 12), channel configuration 7 = 8 channels, two raw data blocks.
    [InlineData(0, 1, 12, 7, 8191, true, 2, 7350, 8, 2, 4, 2048)]
    // 96000 Hz (index 0), 6 channels, with CRC: the smallest frame is the 9-byte header.
    [InlineData(0, 3, 0, 6, 9, false, 1, 96000, 6, 4, 4, 1024)]
    public void Adts_headers_parse(int id, int profile, int rateIndex, int channelConfig, int length, bool noCrc, int blocks,
        int rate, int channels, int objectType, int version, int samples)
    {
        byte[] header = Adts(id, profile, rateIndex, channelConfig, length, noCrc, blocks);
        Assert.True(AdtsFormat.Instance.TryParseHeader(header, out int frameLength, out var p));
        Assert.Equal(length, frameLength);
        Assert.Equal(new CodecParameters(CodecKind.Aac, rate, channels, 0, objectType, version, samples), p);
        Assert.False(MpegAudioFormat.Instance.TryParseHeader(header, out _, out _));
    }

    [Theory]
    [InlineData(13, 2, 300, true, 1)] // sampling index 13 (reserved)
    [InlineData(14, 2, 300, true, 1)] // sampling index 14 (reserved)
    [InlineData(15, 2, 300, true, 1)] // sampling index 15 (explicit rate: not in ADTS)
    [InlineData(4, 0, 300, true, 1)] // channel configuration 0
    [InlineData(4, 2, 6, true, 1)] // shorter than the 7-byte header
    [InlineData(4, 2, 0, true, 1)]
    [InlineData(4, 2, 8, false, 1)] // shorter than the 9-byte header with CRC
    [InlineData(4, 2, 10, false, 2)] // with CRC and two blocks the header is 11 bytes
    public void Invalid_adts_headers_are_rejected(int rateIndex, int channelConfig, int length, bool noCrc, int blocks)
    {
        Assert.False(AdtsFormat.Instance.TryParseHeader(Adts(0, 1, rateIndex, channelConfig, length, noCrc, blocks), out _, out _));
    }

    [Fact]
    public void Adts_layer_must_be_zero_and_header_complete()
    {
        byte[] header = Adts(0, 1, 4, 2, 300, true, 1);
        Assert.True(AdtsFormat.Instance.TryParseHeader(header, out _, out _));
        Assert.False(AdtsFormat.Instance.TryParseHeader(header.AsSpan(0, 6), out _, out _));
        for (int layer = 1; layer < 4; layer++)
        {
            byte[] bad = [.. header];
            bad[1] = (byte)((bad[1] & 0xF9) | (layer << 1));
            Assert.False(AdtsFormat.Instance.TryParseHeader(bad, out _, out _));
        }

        byte[] noSync = [.. header];
        noSync[1] &= 0x7F;
        Assert.False(AdtsFormat.Instance.TryParseHeader(noSync, out _, out _));
    }

    [Fact]
    public void Formats_of_codecs()
    {
        Assert.Same(AdtsFormat.Instance, FrameFormats.For(CodecKind.Aac));
        Assert.Same(MpegAudioFormat.Instance, FrameFormats.For(CodecKind.Mpeg));
        Assert.Throws<ArgumentException>(() => FrameFormats.For(CodecKind.Unknown));
        Assert.Equal(CodecKind.Aac, AdtsFormat.Instance.Codec);
        Assert.Equal(7, AdtsFormat.Instance.HeaderSize);
        Assert.Equal(CodecKind.Mpeg, MpegAudioFormat.Instance.Codec);
        Assert.Equal(4, MpegAudioFormat.Instance.HeaderSize);

    }

    /// <summary>An ADTS header built field by field (7 bytes, or 9 + 2 per extra block with CRC; CRC bytes zero).</summary>
    internal static byte[] Adts(int id, int profile, int rateIndex, int channelConfig, int length, bool noCrc, int blocks)
    {
        int headerLength = noCrc ? 7 : 9 + 2 * (blocks - 1);
        var h = new byte[Math.Max(headerLength, 7)];
        h[0] = 0xFF;
        h[1] = (byte)(0xF0 | (id << 3) | (noCrc ? 1 : 0));
        h[2] = (byte)((profile << 6) | (rateIndex << 2) | (channelConfig >> 2));
        h[3] = (byte)(((channelConfig & 3) << 6) | ((length >> 11) & 3));
        h[4] = (byte)((length >> 3) & 0xFF);
        h[5] = (byte)(((length & 7) << 5) | 0x1F);
        h[6] = (byte)(0xFC | (blocks - 1));
        return h;
    }
}
