using Davecast.Frames;

namespace Davecast.Bench.Load;

/// <summary>
/// The frames of a fixture, played in a loop, and an index from a frame's content to its position: the committed
/// fixtures have no two equal frames, so a listener can tell which frame it received.
/// </summary>
public sealed class Programme
{
    private readonly Dictionary<ulong, int> _byHash = [];

    private Programme(string path, IReadOnlyList<ParsedFrame> frames)
    {
        if (frames.Count == 0) throw new InvalidDataException($"{path} holds no frames");
        Path = path;
        Frames = [.. frames.Select(f => f.Data)];
        Parameters = frames[0].Parameters;
        for (int i = 0; i < Frames.Length; i++)
            if (!_byHash.TryAdd(Davecast.Frames.FrameHash.Of(Frames[i]), i))
                throw new InvalidDataException($"{path}: frame {i} has the content of frame {_byHash[Davecast.Frames.FrameHash.Of(Frames[i])]}; a bench fixture needs distinct frames");
        MeanFrameBytes = Frames.Average(f => f.Length);
    }

    public string Path { get; }

    public byte[][] Frames { get; }

    public CodecParameters Parameters { get; }

    public int Count => Frames.Length;

    public double MeanFrameBytes { get; }

    /// <summary>Frames per second (43.07 for 44.1 kHz AAC, 38.28 for 44.1 kHz MP3).</summary>
    public double FramesPerSecond => (double)Parameters.SampleRate / Parameters.SamplesPerFrame;

    public double Kbps => MeanFrameBytes * 8 * FramesPerSecond / 1000;

    /// <summary>Media offset of frame <paramref name="sequence"/> from the start, in microseconds, exact to the sample.</summary>
    public long OffsetMicros(ulong sequence) => (long)(sequence * (ulong)Parameters.SamplesPerFrame * 1_000_000UL / (ulong)Parameters.SampleRate);

    /// <summary>Position in the fixture of a frame with this content, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> frame) => _byHash.TryGetValue(Davecast.Frames.FrameHash.Of(frame), out int i) ? i : -1;

    public static Programme Load(string path) => new(path, FrameFile.ReadAll(path));
}
