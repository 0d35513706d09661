using Davecast.Publisher.Pacing;
using Davecast.Wire;

namespace Davecast.Tests.Wire;

/// <summary>Media timestamps in logs (a planned switch): ISO-8601 UTC, to the microsecond.</summary>
public sealed class MediaTimeTests
{
    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00.000000Z")]
    [InlineData(1_767_225_600_500_000L, "2026-01-01T00:00:00.500000Z")]
    [InlineData(1_767_225_600_000_001L, "2026-01-01T00:00:00.000001Z")]
    public void A_timestamp_is_written_as_ISO_8601_UTC_to_the_microsecond(long micros, string iso) =>
        Assert.Equal(iso, MediaTime.ToIso(micros));

    [Fact]
    public void A_logged_time_given_back_as_start_at_is_the_same_timestamp()
    {
        var now = DateTimeOffset.UtcNow;
        long micros = (now - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond + 1_234_567;
        Assert.True(StartTime.TryParse(MediaTime.ToIso(micros), now, out long parsed, out var error), error);
        Assert.Equal(micros, parsed);
    }
}
