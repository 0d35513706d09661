using Davecast.Tests.Support;

namespace Davecast.Tests.Icecast;

/// <summary>Checks on audio received from real peers (icecast2, the edge) against a fixture.</summary>
public static class PeerChecks
{
    /// <summary>
    /// Bytes before the first whole frame that a recording from icecast2 may start with: icecast2 starts a listener
    /// (and a relay) at a buffer boundary, not a frame boundary, and ffmpeg's MP3 muxer sends an ID3v2 tag first.
    /// </summary>
    public const long IcecastLeadingBytes = 4096;

    /// <summary>
    /// Every frame of <paramref name="audio"/> is a frame of the fixture, they follow in the fixture's (looping) order
    /// with none missing or repeated, and there are at least <paramref name="minFrames"/> of them. At most
    /// <paramref name="leadingBytes"/> bytes may come before the first frame.
    /// </summary>
    public static FrameContinuity.Report AssertFixtureRun(string what, byte[] audio, string fixture, int minFrames, long leadingBytes, string logs)
    {
        var report = FrameContinuity.ForFile(Repo.Fixture(fixture)).Check(audio);
        string context = $"{what} ({fixture}, {audio.Length} bytes): {report}\n{logs}";
        Assert.True(report.Frames >= minFrames, $"too few frames: {context}");
        Assert.True(report.Foreign == 0, $"frames that are not the fixture's: {context}");
        Assert.True(report.Missing == 0 && report.Repeated == 0, $"frames out of order: {context}");
        Assert.True(report.LeadingGarbage <= leadingBytes, $"more than {leadingBytes} bytes before the first frame: {context}");
        return report;
    }

    /// <summary>The titles a listener received, for messages.</summary>
    public static string Describe(IcyClient client) =>
        client.Titles.Count == 0 ? "no titles" : string.Join(", ", client.Titles.Select(t => $"'{t.Title}' at audio byte {t.AudioPosition} ({t.At.TotalSeconds:F1} s)"));
}
