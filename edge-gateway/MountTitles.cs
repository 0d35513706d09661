using Davecast.Grains;

namespace Davecast.Edge;

/// <summary>
/// The titles of one mount at an edge, frame by frame: per encoder session, which title applies from which frame
/// (as the relays' batches report it), and the operator's title that <c>/admin/metadata</c> or the mount grain hands
/// on, from the next frame emitted. Of the two, the one learned last applies; a source repeating its title teaches
/// nothing new. How long an operator's title holds is <see cref="OperatorTitle"/>'s rule, kept by the mount grain:
/// this only orders what it is given. Not thread-safe: the feed calls it under its lock.
/// </summary>
public sealed class MountTitles
{
    private const int HistoryPerEncoder = 16;

    private readonly Dictionary<(string Encoder, ulong Session), List<Entry>> _byEncoder = [];
    private Entry? _operator;
    private long _operatorVersion;
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

    /// <summary>An operator's title, from the next frame; false (and ignored) unless its version is newer than the last one's.</summary>
    public bool SetOperatorTitle(string title, long version)
    {
        if (!OperatorTitle.IsNewer(version, _operatorVersion)) return false;
        _operatorVersion = version;
        _operator = new Entry(0, new TitleInfo(title), ++_stamp);
        return true;
    }

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
        if (_operator is { } o && (source is null || o.Stamp > source.Value.Stamp)) return o.Title;
        return source?.Title;
    }

    private readonly record struct Entry(ulong From, TitleInfo Title, long Stamp);
}
