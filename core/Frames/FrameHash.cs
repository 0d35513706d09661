namespace Davecast.Frames;

/// <summary>
/// A frame's content hash (64-bit FNV-1a). The relay computes it once when it first accepts a frame and sends it
/// with the frame, so an edge aligns encoders by content without hashing every relay's copy (docs/protocol.md).
/// </summary>
public static class FrameHash
{
    public static ulong Of(ReadOnlySpan<byte> data)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in data)
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }
}
