namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// The segments a media playlist lists now, oldest first, and the discontinuity sequence number of the first (the
/// discontinuities that left the window). Immutable: the output swaps in a new one when a segment is finished.
/// </summary>
public sealed record HlsWindow(IReadOnlyList<HlsSegment> Segments, long DiscontinuitySequence)
{
    public static HlsWindow Empty { get; } = new([], 0);

    /// <summary>The segment with media sequence number <paramref name="sequence"/>, if the window still has it.</summary>
    public bool TryGet(long sequence, out HlsSegment segment)
    {
        segment = null!;
        if (Segments.Count == 0) return false;
        long index = sequence - Segments[0].Sequence;
        if (index < 0 || index >= Segments.Count) return false;
        segment = Segments[(int)index];
        return true;
    }

    /// <summary>This window with <paramref name="segment"/> added, and the oldest left out past <paramref name="size"/> segments.</summary>
    public HlsWindow Add(HlsSegment segment, int size)
    {
        int drop = Math.Max(0, Segments.Count + 1 - size);
        long discontinuities = DiscontinuitySequence;
        for (int i = 0; i < drop; i++)
            if (Segments[i].Discontinuity) discontinuities++;
        return new HlsWindow([.. Segments.Skip(drop), segment], discontinuities);
    }
}
