namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// One finished segment of a mount's HLS stream: its media sequence number, where it starts in media time (Unix
/// microseconds, as the publishers stamp frames), its duration, and its bytes (the ID3 tag, then the frames).
/// A gap (<see cref="Gap"/>) stands for sequence numbers the programme skipped: listed as EXT-X-GAP, no bytes.
/// </summary>
/// <param name="Discontinuity">Its media time does not follow on from the segment before it.</param>
public sealed record HlsSegment(long Sequence, long StartMicros, long DurationMicros, byte[] Data, bool Discontinuity, bool Gap = false);
