using Davecast.Cli;
using Davecast.Fuzz;
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

    /// <summary>
    /// Found by bench/fuzz.sh settings: a command line holding "@." (a response file that is a folder) made
    /// System.CommandLine throw UnauthorizedAccessException out of the parse, a stack trace instead of a message.
    /// </summary>
    [Fact]
    public void A_response_file_that_cannot_be_read_is_a_message_not_an_exception()
    {
        var input = Input("settings-response-file-is-a-directory.bin");
        SettingsTarget.Run(input);
        var root = new System.CommandLine.RootCommand("test");
        var settings = LayeredSettings.Apply(root, ["@."], Path.GetTempPath(), new Dictionary<string, string>());
        Assert.Null(settings.Parse(root, out var error));
        Assert.StartsWith("A response file (an argument @FILE) cannot be read: ", error);
    }

    /// <summary>A setting's value that starts with '@' (a password, a name) is the value, never a response file to read.</summary>
    [Fact]
    public void A_setting_that_starts_with_an_at_sign_is_taken_as_it_is()
    {
        var name = new System.CommandLine.Option<string>("--name");
        var root = new System.CommandLine.RootCommand("test") { name };
        var settings = LayeredSettings.Apply(root, [], Path.GetTempPath(), new Dictionary<string, string> { ["Davecast__Name"] = "@." });
        var parse = settings.Parse(root, out _);
        Assert.NotNull(parse);
        Assert.Empty(parse.Errors);
        Assert.Equal("@.", parse.GetValue(name));
    }
}
