namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// How much recent audio a new listener gets at once: the newest frames that fit in both <paramref name="Bytes"/>
/// (<c>--burst-bytes</c>) and <paramref name="Micros"/> of media time (<c>--burst-seconds</c>).
/// </summary>
public readonly record struct BurstLimit(long Bytes, long Micros)
{
    /// <summary>
    /// The edge's burst from its options. <c>--burst-seconds</c> alone: that much audio whatever the bitrate, up to
    /// <c>--listener-queue-bytes</c> (a larger burst would have the listener dropped as too slow at once). Both given:
    /// the smaller of the two. Neither: <c>--burst-bytes</c>' default.
    /// </summary>
    public static BurstLimit Of(EdgeOptions options) => options.BurstSeconds is { } seconds
        ? new(options.BurstBytes ?? options.ListenerQueueBytes, (long)Math.Round(seconds * 1_000_000))
        : new(options.BurstBytes ?? EdgeOptions.DefaultBurstBytes, long.MaxValue);
}
