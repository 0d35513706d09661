namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// Cuts a mount's programme into HLS segments from the programme position alone, so that every edge cuts the same
/// segments with the same bytes and numbers: segment n holds the frames whose media time starts in
/// [n·S, (n+1)·S), and n is its media sequence number. An edge that starts mid-segment begins at the next boundary.
/// Where media time jumps (a backup with other timestamps, a mount that ended and came back) the segment ends, the
/// next is marked discontinuous, and numbers skipped are handed out as gaps; numbers only ever go up, and a segment
/// never lasts longer than S + 0.4 s (so that it rounds to the target duration). Not thread-safe: the mount's lock.
/// </summary>
public sealed class SegmentCutter(int segmentSeconds)
{
    private const long OverrunMicros = 400_000;
    private readonly long _length = segmentSeconds * 1_000_000L;
    private readonly MemoryStream _audio = new();
    private bool _open, _started, _jumped;
    private long _index, _sequence, _start, _duration, _expected = long.MinValue;
    private TitleInfo? _title;

    /// <summary>The next frame; hands <paramref name="finished"/> each segment it finishes (gaps before the segment after them).</summary>
    public void Write(in ProgrammeFrame frame, Action<HlsSegment> finished)
    {
        long ts = frame.TimestampMicros, dur = Math.Max(1, frame.DurationMicros);
        long index = FloorDiv(ts, _length);
        bool jump = _expected != long.MinValue && Math.Abs(ts - _expected) > dur;
        _expected = ts + dur;
        if (_open && (index > _index || jump || _duration + dur > _length + OverrunMicros)) Finish(finished);
        _jumped |= jump && _started;
        if (!_open)
        {
            // An edge's first segment starts at a boundary: a partial one would differ from other edges'.
            if (!_started && ts - index * _length >= dur) return;
            long sequence = _started ? Math.Max(index, _sequence + 1) : index;
            if (_started)
                for (long gap = Math.Max(_sequence + 1, sequence - MaxGaps); gap < sequence; gap++)
                    finished(new HlsSegment(gap, gap * _length, _length, [], Discontinuity: false, Gap: true));
            (_open, _started, _index, _sequence, _start, _duration) = (true, true, index, sequence, ts, 0);
            _audio.SetLength(0);
        }
        _audio.Write(frame.Data.Span);
        _duration += dur;
        _title = frame.Title;
        // The frame that reaches the boundary finishes the segment at once, one frame sooner than the next would.
        if (ts + dur >= (_index + 1) * _length) Finish(finished);
    }

    /// <summary>At most this many gaps are handed out for one jump: the playlist window never lists more.</summary>
    public int MaxGaps { get; init; } = 1000;

    private void Finish(Action<HlsSegment> finished)
    {
        _open = false;
        // The title at the segment's end: a segment in which the title changes announces the new one at its start.
        byte[] tag = Id3Tag.Build(_start, _title?.Title);
        var data = new byte[tag.Length + _audio.Length];
        tag.CopyTo(data, 0);
        _audio.GetBuffer().AsSpan(0, (int)_audio.Length).CopyTo(data.AsSpan(tag.Length));
        bool discontinuity = _jumped;
        _jumped = false;
        finished(new HlsSegment(_sequence, _start, _duration, data, discontinuity));
    }

    private static long FloorDiv(long a, long b) => a / b - (a % b < 0 ? 1 : 0);
}
