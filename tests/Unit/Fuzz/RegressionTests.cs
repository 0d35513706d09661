using Davecast.Tests.Frames;
using Davecast.Tests.Support;

namespace Davecast.Tests.Fuzz;

/// <summary>Inputs the fuzzing found (tests/Unit/Fuzz/Regressions), each with the result the parser now gives.</summary>
public sealed class RegressionTests
{
    private static byte[] Input(string name) => File.ReadAllBytes(Path.Combine(Repo.Root, "tests", "Unit", "Fuzz", "Regressions", name));

    /// <summary>
    /// Found by FrameSplitterProperties: nine real MP3 frames in runs, garbage after the frame at 1714. Inside that frame a
    /// fake header (FF FA B3, 192 kbps, 627 bytes) at 1951 reaches exactly the real header at 2578, so it passed for a
    /// confirmed frame and the in-sync frame at 1714 was dropped, then the fake one returned, eating the real one at 2160.
    /// Now a pair found inside a frame does not count when a confirmed frame starts inside it in turn.
    /// </summary>
    [Fact]
    public void A_fake_header_inside_a_frame_that_reaches_a_real_one_past_garbage_costs_no_real_frame()
    {
        var data = Input("mp3-fake-header-inside-a-frame-before-garbage.bin");
        var whole = Split.Whole(data);
        Assert.Equal([32L, 450, 878, 1296, 1714, 2160, 2578, 2996, 3414], whole.Frames.Select(f => f.Offset));
        // Everything else is the garbage around the runs, skipped and counted.
        Assert.Equal(data.Length - whole.FrameBytes, whole.SkippedBytes);
        for (int seed = 0; seed < 20; seed++) Split.AssertSame(whole, Split.Chunked(data, seed, 1 + seed * 30));
    }
}
