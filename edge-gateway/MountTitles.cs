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

/// <summary>
/// The titles of one mount at an edge: per encoder session, which title applies from which frame (as the relays'
/// batches report it), and a title set by an operator through <c>/admin/metadata</c>, which holds until the source
/// sets a new one. Whichever was learned last wins. Not thread-safe: the feed calls it under its lock.
/// </summary>
public sealed class MountTitles
{
    private const int HistoryPerEncoder = 16;

    private readonly Dictionary<(string Encoder, ulong Session), List<Entry>> _byEncoder = [];
    private Entry? _override;
    private long _stamp;

    /// <summary>A title the source set from frame <paramref name="from"/> on; repeats are ignored.</summary>
    public void Learn(string encoder, ulong session, ulong from, string title)
    {
        if (!_byEncoder.TryGetValue((encoder, session), out var history))
        {
            // A new session of an encoder replaces its old one.
            foreach (var key in _byEncoder.Keys.Where(k => k.Encoder == encoder && k.Session < session).ToList()) _byEncoder.Remove(key);
            _byEncoder[(encoder, session)] = history = new List<Entry>(4);
        }
        int at = history.Count;
        while (at > 0 && history[at - 1].From > from) at--;
        if (at > 0 && history[at - 1].From == from)
        {
            if (history[at - 1].Title.Title == title) return;
            history[at - 1] = new Entry(from, new TitleInfo(title), ++_stamp);
            return;
        }
        // The same title again from a later frame (a repeat after a reconnect) changes nothing.
        if (at > 0 && history[at - 1].Title.Title == title) return;
        history.Insert(at, new Entry(from, new TitleInfo(title), ++_stamp));
        if (history.Count > HistoryPerEncoder) history.RemoveAt(0);
    }

    /// <summary>An operator's title: it applies at once, until the source sets another.</summary>
    public void Override(string title) => _override = new Entry(0, new TitleInfo(title), ++_stamp);

    /// <summary>The title of frame <paramref name="sequence"/> of an encoder session; null when none is known.</summary>
    public TitleInfo? For(string encoder, ulong session, ulong sequence)
    {
        Entry? source = null;
        if (_byEncoder.TryGetValue((encoder, session), out var history))
        {
            for (int i = history.Count - 1; i >= 0; i--)
            {
                if (history[i].From <= sequence)
                {
                    source = history[i];
                    break;
                }
            }
        }
        if (_override is { } o && (source is null || o.Stamp > source.Value.Stamp)) return o.Title;
        return source?.Title;
    }

    private readonly record struct Entry(ulong From, TitleInfo Title, long Stamp);
}
