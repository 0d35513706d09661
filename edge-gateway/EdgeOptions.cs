namespace Davecast.Edge;

/// <summary>Settings of one edge gateway; each has a command-line option (Program.cs, README).</summary>
public sealed class EdgeOptions
{
    /// <summary>How long a missing frame is waited for (for a copy from another relay) before it is given up.</summary>
    public TimeSpan Hold { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>How long a backfill request to the relays' windows may take before the backup encoder is used.</summary>
    public TimeSpan BackfillWait { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>This edge's name in mount health reports.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>Bytes of recent audio a new listener gets at once, so that its player starts without waiting.</summary>
    public int BurstBytes { get; set; } = 64 * 1024;

    /// <summary>How often the mount list and each mount's relays and live encoder are refreshed.</summary>
    public TimeSpan Refresh { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Frames kept for listeners (at 43 frames/s, 2048 is 47 s): bounds how far a listener may lag.</summary>
    public int RingFrames { get; set; } = 2048;
}
