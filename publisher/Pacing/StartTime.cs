using System.Globalization;
using System.Text.RegularExpressions;

namespace Davecast.Publisher.Pacing;

/// <summary>
/// Parses <c>--start-at</c>: Unix seconds with an optional fraction (<c>1767225600.25</c>) or an ISO-8601 UTC time
/// (<c>2026-01-01T00:00:00.25Z</c>), to whole microseconds since the epoch (finer digits are cut off).
/// </summary>
public static partial class StartTime
{
    /// <summary>How far from now a start may lie, either way.</summary>
    public static readonly TimeSpan MaxDistance = TimeSpan.FromHours(1);

    public static bool TryParse(string text, DateTimeOffset now, out long micros, out string error)
    {
        micros = 0;
        text = text.Trim();
        if (UnixSeconds().IsMatch(text))
        {
            if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || seconds > 100_000_000_000m)
            {
                error = $"'{text}' is out of range";
                return false;
            }
            micros = (long)decimal.Floor(seconds * 1_000_000m);
        }
        else if (IsoUtc().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var time))
        {
            micros = (time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        }
        else
        {
            error = $"'{text}' is neither Unix seconds (1767225600.5) nor an ISO-8601 UTC time (2026-01-01T00:00:00.5Z)";
            return false;
        }

        long nowMicros = (now - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        long distance = micros - nowMicros;
        if (Math.Abs(distance) > (long)MaxDistance.TotalMicroseconds)
        {
            error = $"'{text}' is {Describe(distance)}; it must be within {MaxDistance.TotalHours:0} hour of now";
            return false;
        }
        error = "";
        return true;
    }

    private static string Describe(long distanceMicros)
    {
        var span = TimeSpan.FromMicroseconds(Math.Abs(distanceMicros));
        string amount = span.TotalDays >= 1 ? $"{span.TotalDays:0.#} days" : $"{span.TotalHours:0.#} hours";
        return distanceMicros < 0 ? $"{amount} in the past" : $"{amount} in the future";
    }

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?$")]
    private static partial Regex UnixSeconds();

    // A date, a time, and Z or an explicit offset: a time without a zone would depend on the machine's.
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})$", RegexOptions.IgnoreCase)]
    private static partial Regex IsoUtc();
}
