namespace Davecast.Frames;

/// <summary>MPEG-1, MPEG-2 and MPEG-2.5 audio, Layers I, II and III.</summary>
public sealed class MpegAudioFormat : IFrameFormat
{
    public static MpegAudioFormat Instance { get; } = new();

    private MpegAudioFormat()
    {
    }

    // Bitrates in kbps by bitrate index 1..14 (0 is free format, 15 is forbidden).
    private static readonly short[] V1Layer1 = [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448];
    private static readonly short[] V1Layer2 = [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384];
    private static readonly short[] V1Layer3 = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    private static readonly short[] V2Layer1 = [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256];
    private static readonly short[] V2Layer23 = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

    // Sample rates of MPEG-1 by index 0..2; MPEG-2 halves them, MPEG-2.5 quarters them.
    private static readonly int[] V1Rates = [44100, 48000, 32000];

    public CodecKind Codec => CodecKind.Mpeg;

    public int HeaderSize => 4;

    public byte FirstByte => 0xFF;

    public bool TryParseHeader(ReadOnlySpan<byte> header, out int frameLength, out CodecParameters parameters)
    {
        frameLength = 0;
        parameters = default;
        if (header.Length < 4)
        {
            return false;
        }

        if (!HasSync(header))
        {
            return false;
        }

        int versionBits = (header[1] >> 3) & 3;
        int layerBits = (header[1] >> 1) & 3;
        int bitrateIndex = header[2] >> 4;
        int rateIndex = (header[2] >> 2) & 3;
        int padding = (header[2] >> 1) & 1;
        int mode = header[3] >> 6;
        int emphasis = header[3] & 3;

        // Reserved version, reserved layer, free-format or forbidden bitrate, reserved rate or emphasis.
        if (versionBits == 1 || layerBits == 0 || bitrateIndex == 0 || bitrateIndex == 15 || rateIndex == 3 || emphasis == 2)
        {
            return false;
        }

        int layer = 4 - layerBits;
        bool v1 = versionBits == 3;
        int version = versionBits switch { 3 => 10, 2 => 20, _ => 25 };
        int sampleRate = V1Rates[rateIndex] >> (versionBits switch { 3 => 0, 2 => 1, _ => 2 });

        short[] table = (v1, layer) switch
        {
            (true, 1) => V1Layer1,
            (true, 2) => V1Layer2,
            (true, _) => V1Layer3,
            (false, 1) => V2Layer1,
            _ => V2Layer23,
        };
        int bitrate = table[bitrateIndex - 1];

        int samples;
        if (layer == 1)
        {
            samples = 384;
            frameLength = (12 * bitrate * 1000 / sampleRate + padding) * 4;
        }
        else
        {
            // Layer III of MPEG-2 and 2.5 has half the samples of MPEG-1, so half the slots.
            samples = layer == 3 && !v1 ? 576 : 1152;
            frameLength = samples / 8 * bitrate * 1000 / sampleRate + padding;
        }

        parameters = new CodecParameters(
            CodecKind.Mpeg,
            sampleRate,
            mode == 3 ? 1 : 2,
            bitrate,
            layer,
            version,
            samples);
        return true;
    }

    public bool CouldBecomeHeader(ReadOnlySpan<byte> partial) => partial.Length < HeaderSize && HasSync(partial);

    // 11 sync bits (then version, layer and protection): as much of them as the span holds.
    private static bool HasSync(ReadOnlySpan<byte> header) =>
        (header.Length < 1 || header[0] == 0xFF) && (header.Length < 2 || (header[1] & 0xE0) == 0xE0);
}
