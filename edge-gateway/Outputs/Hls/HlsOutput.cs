namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// The HLS stream of a mount: every frame goes to the <see cref="SegmentCutter"/>, and each segment it finishes joins
/// the <see cref="Window"/> that the playlists and segment requests read without a lock. Only the window's segments
/// are kept (<c>--hls-window</c>), so its memory is bounded.
/// </summary>
public sealed class HlsOutput : IMountOutput
{
    private readonly SegmentCutter _cutter;
    private readonly int _size;
    private readonly Action<HlsSegment> _finished;
    private HlsWindow _window = HlsWindow.Empty;

    public HlsOutput(int segmentSeconds, int window)
    {
        _cutter = new SegmentCutter(segmentSeconds) { MaxGaps = window };
        _size = window;
        _finished = Add;
        TargetDuration = segmentSeconds;
    }

    /// <summary>The playlists' EXT-X-TARGETDURATION: no segment rounds to more (see <see cref="SegmentCutter"/>).</summary>
    public int TargetDuration { get; }

    /// <summary>The segments listed now.</summary>
    public HlsWindow Window => Volatile.Read(ref _window);

    public void Write(in ProgrammeFrame frame) => _cutter.Write(frame, _finished);

    public void Flush(int frames, long now)
    {
        // A segment is published by the frame that finishes it, within the Write calls.
    }

    private void Add(HlsSegment segment) => Volatile.Write(ref _window, _window.Add(segment, _size));
}
