using Davecast.Frames;
using Davecast.Tests.Support;

namespace Davecast.Tests.Publisher;

/// <summary>A short audio file cut from a committed fixture at frame boundaries, and its frames.</summary>
internal sealed class TestAudio : IDisposable
{
    private TestAudio(string path, IReadOnlyList<ParsedFrame> frames)
    {
        Path = path;
        Frames = frames;
    }

    public string Path { get; }

    public IReadOnlyList<ParsedFrame> Frames { get; }

    public CodecParameters Parameters => Frames[0].Parameters;

    /// <summary>The first <paramref name="seconds"/> of fixtures/<paramref name="fixture"/>.</summary>
    public static TestAudio Cut(string fixture, double seconds)
    {
        var all = FrameFile.ReadAll(Repo.Fixture(fixture));
        var p = all[0].Parameters;
        int count = (int)Math.Ceiling(seconds * p.SampleRate / p.SamplesPerFrame);
        var frames = all.Take(count).ToList();
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"davecast-publisher-{Guid.NewGuid():N}{System.IO.Path.GetExtension(fixture)}");
        File.WriteAllBytes(path, frames.SelectMany(f => f.Data).ToArray());
        return new TestAudio(path, frames);
    }

    /// <summary>Media offset of frame <paramref name="index"/>, counted in samples as the publisher does.</summary>
    public long OffsetMicros(ulong index) => (long)index * Parameters.SamplesPerFrame * 1_000_000 / Parameters.SampleRate;

    public void Dispose() => File.Delete(Path);
}
