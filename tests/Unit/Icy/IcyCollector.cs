using Davecast.Icy;

namespace Davecast.Tests.Icy;

/// <summary>Keeps what an <see cref="IcyDemuxer"/> finds: the audio, and each title with its audio position.</summary>
internal sealed class IcyCollector : IIcySink
{
    public readonly MemoryStream AudioOut = new();
    public readonly List<(string Title, long At)> Titles = [];

    public void Audio(ReadOnlySpan<byte> audio) => AudioOut.Write(audio);

    public void Metadata(ReadOnlySpan<byte> text, long audioPosition)
    {
        Assert.True(IcyMetadata.TryReadTitle(text, out var title));
        Titles.Add((title, audioPosition));
    }
}
