using System.Globalization;

namespace Davecast.Wire;

/// <summary>Media timestamps: microseconds since the Unix epoch, UTC, as publishers stamp frames (docs/protocol.md).</summary>
public static class MediaTime
{
    /// <summary>A timestamp as people read it in logs: ISO-8601 UTC to the microsecond, e.g. 2026-11-30T23:30:00.123456Z.</summary>
    public static string ToIso(long micros) =>
        DateTime.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
