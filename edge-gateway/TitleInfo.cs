using Davecast.Icy;

namespace Davecast.Edge;

/// <summary>A stream title and its ICY block, built once and shared by every listener.</summary>
public sealed class TitleInfo(string title)
{
    private byte[]? _block;

    public string Title { get; } = title;

    /// <summary>The whole ICY metadata block (length byte included) that announces this title.</summary>
    public byte[] Block => _block ??= IcyMetadata.TitleBlock(Title);
}
