namespace Davecast.Frames;

/// <summary>AAC in ADTS framing (ISO/IEC 13818-7 and 14496-3).</summary>
public sealed class AdtsFormat : IFrameFormat
{
    public static AdtsFormat Instance { get; } = new();

    private AdtsFormat()
    {
    }

    // Sampling frequency index 0..12; 13 and 14 are reserved, 15 means "explicit" (not allowed in ADTS).
    private static readonly int[] SampleRates =
        [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

    public CodecKind Codec => CodecKind.Aac;

    public int HeaderSize => 7;

    public byte FirstByte => 0xFF;

    public bool TryParseHeader(ReadOnlySpan<byte> header, out int frameLength, out CodecParameters parameters)
    {
        frameLength = 0;
        parameters = default;
        if (header.Length < 7)
        {
            return false;
        }

        if (!HasSync(header))
        {
            return false;
        }

        int id = (header[1] >> 3) & 1;
        bool hasCrc = (header[1] & 1) == 0;
        int profile = header[2] >> 6;
        int rateIndex = (header[2] >> 2) & 0xF;
        int channelConfig = ((header[2] & 1) << 2) | (header[3] >> 6);
        int length = ((header[3] & 0x3) << 11) | (header[4] << 3) | (header[5] >> 5);
        int rawBlocks = (header[6] & 0x3) + 1;

        if (rateIndex >= SampleRates.Length || channelConfig == 0)
        {
            return false;
        }

        // With CRC the header is 9 bytes, plus a 16-bit position per extra raw data block.
        int headerLength = hasCrc ? 9 + 2 * (rawBlocks - 1) : 7;
        if (length < headerLength)
        {
            return false;
        }

        frameLength = length;
        parameters = new CodecParameters(
            CodecKind.Aac,
            SampleRates[rateIndex],
            channelConfig == 7 ? 8 : channelConfig,
            BitrateKbps: 0,
            ProfileOrLayer: profile + 1,
            Version: id == 0 ? 4 : 2,
            SamplesPerFrame: rawBlocks * 1024);
        return true;
    }

    public bool CouldBecomeHeader(ReadOnlySpan<byte> partial) => partial.Length < HeaderSize && HasSync(partial);

    // 12 sync bits, then ID (1), layer (2, always 0), protection_absent (1): as much of them as the span holds.
    private static bool HasSync(ReadOnlySpan<byte> header) =>
        (header.Length < 1 || header[0] == 0xFF) && (header.Length < 2 || (header[1] & 0xF6) == 0xF0);
}
