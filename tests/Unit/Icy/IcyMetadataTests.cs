using System.Text;
using Davecast.Frames;
using Davecast.Icy;

namespace Davecast.Tests.Icy;

public class IcyMetadataTests
{
    [Theory]
    [InlineData("Artist - Song")]
    [InlineData("Ünïcødé – ‘quotes’ and 'single' ones")]
    [InlineData("")]
    public void A_title_block_reads_back(string title)
    {
        var block = IcyMetadata.TitleBlock(title);
        Assert.Equal(1 + block[0] * 16, block.Length);
        Assert.True(IcyMetadata.TryReadTitle(block.AsSpan(1), out var back));
        Assert.Equal(title, back);
    }

    [Fact]
    public void An_overlong_title_is_cut_on_a_character_boundary()
    {
        var title = string.Concat(Enumerable.Repeat("é", 3000));
        var block = IcyMetadata.TitleBlock(title);
        Assert.Equal(255, block[0]);
        Assert.True(IcyMetadata.TryReadTitle(block.AsSpan(1), out var back));
        Assert.True(back.Length > 1000);
        Assert.StartsWith(back, title, StringComparison.Ordinal);
    }

    [Fact]
    public void Latin1_titles_are_read()
    {
        var text = Encoding.Latin1.GetBytes("StreamTitle='Caf\u00e9';StreamUrl='';");
        Assert.True(IcyMetadata.TryReadTitle(text, out var title));
        Assert.Equal("Caf\u00e9", title);
        Assert.False(IcyMetadata.TryReadTitle("StreamUrl='x';"u8, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(100_000)]
    public void The_demuxer_gives_back_audio_and_titles_at_their_positions_whatever_the_pieces(int piece)
    {
        const int interval = 1000;
        var audio = new byte[10_500];
        new Random(5).NextBytes(audio);
        // Titles after blocks 2 and 7; the other blocks are empty.
        var stream = new MemoryStream();
        for (int block = 0, at = 0; at < audio.Length; block++)
        {
            int n = Math.Min(interval, audio.Length - at);
            stream.Write(audio, at, n);
            at += n;
            if (n < interval) break;
            if (block == 2) stream.Write(IcyMetadata.TitleBlock("first"));
            else if (block == 7) stream.Write(IcyMetadata.TitleBlock("second"));
            else stream.WriteByte(0);
        }
        var bytes = stream.ToArray();
        var demuxer = new IcyDemuxer(interval);
        var sink = new IcyCollector();
        for (int at = 0; at < bytes.Length; at += piece) demuxer.Feed(bytes.AsSpan(at, Math.Min(piece, bytes.Length - at)), sink);
        Assert.Equal(audio, sink.AudioOut.ToArray());
        Assert.Equal([("first", 3000L), ("second", 8000L)], sink.Titles);
        Assert.Equal(10, demuxer.Blocks);
    }

}
