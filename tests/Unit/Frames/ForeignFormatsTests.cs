using System.Text;
using Davecast.Frames;

namespace Davecast.Tests.Frames;

/// <summary>Formats the publisher does not read, told apart by their first bytes, and the conversion each one is given.</summary>
public sealed class ForeignFormatsTests
{
    public static TheoryData<string, byte[]> Heads => new()
    {
        { "WAV", [.. "RIFF"u8, 0x24, 0x08, 0, 0, .. "WAVE"u8, .. "fmt "u8, 16, 0, 0, 0, 1, 0, 2, 0] },
        { "MP4", [0, 0, 0, 0x20, .. "ftypM4A "u8, 0, 0, 2, 0] },
        { "Ogg", [.. "OggS"u8, 0, 2, 0, 0] },
        { "FLAC", [.. "fLaC"u8, 0, 0, 0, 0x22] },
        { "Matroska", [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81] },
        { "text", Encoding.UTF8.GetBytes("#EXTM3U\nhttp://radio.example/live.mp3\n\tété\r\n") },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void A_format_is_recognised_from_its_first_bytes(string name, byte[] head)
    {
        var format = ForeignFormats.Recognise(head);
        Assert.NotNull(format);
        Assert.Contains(name, format.Name);
    }

    [Fact]
    public void Audio_frames_tags_and_binary_garbage_are_none_of_them()
    {
        Assert.Null(ForeignFormats.Recognise([0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0]));
        Assert.Null(ForeignFormats.Recognise(HeaderTests.Adts(0, 1, 4, 2, 300, noCrc: true, blocks: 1)));
        Assert.Null(ForeignFormats.Recognise([.. "ID3"u8, 4, 0, 0, 0, 0, 0x10, 0]));
        Assert.Null(ForeignFormats.Recognise([0x00, 0x01, 0x02, 0x80, 0x90]));
        Assert.Null(ForeignFormats.Recognise([]));
        // Latin-1 is not UTF-8: not told as text.
        Assert.Null(ForeignFormats.Recognise([.. "caf"u8, 0xE9, .. " au lait"u8]));
    }

    [Fact]
    public void Text_cut_inside_a_character_is_still_text()
    {
        var bytes = Encoding.UTF8.GetBytes("titre: été");
        Assert.Same(ForeignFormats.Text, ForeignFormats.Recognise(bytes.AsSpan(0, bytes.Length - 1)));
    }

    [Fact]
    public void A_wav_file_of_mpeg_audio_is_left_to_the_frame_splitter()
    {
        byte[] head = [.. "RIFF"u8, 0x24, 0x08, 0, 0, .. "WAVE"u8, .. "fmt "u8, 30, 0, 0, 0, 0x55, 0, 2, 0];
        Assert.Null(ForeignFormats.Recognise(head));
        head[20] = 0x01;
        Assert.Same(ForeignFormats.Wav, ForeignFormats.Recognise(head));
    }

    [Fact]
    public void The_advice_is_the_ffmpeg_command_for_the_file_given()
    {
        Assert.Contains("`ffmpeg -i in.m4a -c:a copy -f adts out.aac`", ForeignFormats.Mp4.Explain(null));
        Assert.Contains("`ffmpeg -i music/song.wav -c:a aac -b:a 128k -f adts out.aac`", ForeignFormats.Wav.Explain("music/song.wav"));
        Assert.Contains("`ffmpeg -i music/song.wav -c:a libmp3lame -b:a 128k out.mp3`", ForeignFormats.Wav.Explain("music/song.wav"));
        Assert.Contains("`ffmpeg -i 'My Song'\\''s.flac' -c:a aac", ForeignFormats.Flac.Explain("My Song's.flac"));
        Assert.DoesNotContain("ffmpeg", ForeignFormats.Text.Explain("notes.txt"));
    }
}
