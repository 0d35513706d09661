using System.Buffers;
using System.Text.RegularExpressions;
using Davecast.Frames;
using Davecast.Tests.Frames;
using Davecast.Tests.Support;

namespace Davecast.Tests.Publisher;

/// <summary>
/// Files the publisher cannot read, made by ffmpeg: the publisher names their format and gives the ffmpeg command that
/// converts them, and that command, run as printed, makes a file of frames.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class UnsupportedInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("davecast-unsupported-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("in.wav", "a WAV file", new string[0])]
    [InlineData("in.m4a", "an MP4/M4A file", new[] { "-c:a", "aac" })]
    [InlineData("in.flac", "a FLAC file", new string[0])]
    [InlineData("in.ogg", "an Ogg file", new string[0])]
    public async Task A_container_is_named_with_the_ffmpeg_command_that_converts_it(string file, string name, string[] codec)
    {
        string input = Path.Combine(_dir, file);
        GeneratedMedia.Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", .. codec, input]);

        var output = await RunPublisherAsync(input);

        Assert.Contains($"Cannot read file {file}: it is {name}", output);
        var command = Command().Match(output);
        Assert.True(command.Success, $"no ffmpeg command in:\n{output}");
        string converted = Path.Combine(_dir, "out.aac");
        GeneratedMedia.Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            .. command.Groups[1].Value.Split(' ').Select(a => a == "out.aac" ? converted : a)]);
        Assert.True(CountFrames(converted) > 50, "the converted file holds no AAC frames");
    }

    [Fact]
    public async Task Text_is_named_as_text_not_audio()
    {
        string input = Path.Combine(_dir, "playlist.m3u");
        await File.WriteAllTextAsync(input, "#EXTM3U\nhttp://radio.example/live.mp3\n");

        var output = await RunPublisherAsync(input);

        Assert.Contains("Cannot read file playlist.m3u: it is text, not audio", output);
    }

    private static async Task<string> RunPublisherAsync(string input)
    {
        using var publisher = new ChildProcess("publisher", "dotnet",
            [Repo.ProgramDll("publisher", "davecast-publisher"), "--mount", "m", "--relay", "127.0.0.1:" + Ports.Free(), "--file", input, "--stats-interval", "0"],
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });
        int code = await publisher.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == 1, $"exit code {code}:\n{publisher.Output}");
        Assert.DoesNotContain("   at ", publisher.Output);
        return publisher.Output;
    }

    private static int CountFrames(string path)
    {
        var buffer = new ReadOnlySequence<byte>(File.ReadAllBytes(path));
        var splitter = new FrameSplitter(CodecKind.Aac);
        int frames = 0;
        while (splitter.TryReadFrame(ref buffer, isFinalBlock: true, out _, out _)) frames++;
        return frames;
    }

    // The first command given: `ffmpeg ARGS`.
    [GeneratedRegex("`ffmpeg ([^`]+)`")]
    private static partial Regex Command();
}
