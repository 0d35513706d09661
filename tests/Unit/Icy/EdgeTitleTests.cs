using System.Buffers;
using Davecast.Edge;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Icy;

namespace Davecast.Tests.Icy;

/// <summary>The edge's title bookkeeping and ICY writer, as pure logic.</summary>
public class EdgeTitleTests
{
    [Fact]
    public void A_title_applies_from_its_frame_on_and_earlier_frames_keep_the_old_one()
    {
        var titles = new MountTitles();
        titles.Learn("a", 1, 10, "First");
        titles.Learn("a", 1, 50, "Second");
        Assert.Null(titles.For("a", 1, 9));
        Assert.Equal("First", titles.For("a", 1, 10)?.Title);
        Assert.Equal("First", titles.For("a", 1, 49)?.Title);
        Assert.Equal("Second", titles.For("a", 1, 50)?.Title);
        Assert.Equal("Second", titles.For("a", 1, 5000)?.Title);
        Assert.Null(titles.For("b", 1, 50));
    }

    [Fact]
    public void Repeats_of_a_title_share_one_block_and_a_late_learned_earlier_title_slots_in_order()
    {
        var titles = new MountTitles();
        titles.Learn("a", 1, 50, "Second");
        var block = titles.For("a", 1, 60)!;
        titles.Learn("a", 1, 50, "Second");
        titles.Learn("a", 1, 70, "Second");
        Assert.Same(block, titles.For("a", 1, 80));
        titles.Learn("a", 1, 10, "First");
        Assert.Equal("First", titles.For("a", 1, 20)?.Title);
        Assert.Same(block, titles.For("a", 1, 80));
    }

    [Fact]
    public void An_operator_title_holds_until_the_source_sets_a_new_one()
    {
        var titles = new MountTitles();
        titles.Learn("a", 1, 0, "Source one");
        titles.SetOperatorTitle("Operator", 1);
        Assert.Equal("Operator", titles.For("a", 1, 5)?.Title);
        // The source repeating its title does not undo the operator's.
        titles.Learn("a", 1, 0, "Source one");
        Assert.Equal("Operator", titles.For("a", 1, 6)?.Title);
        titles.Learn("a", 1, 100, "Source two");
        Assert.Equal("Source two", titles.For("a", 1, 100)?.Title);
        // Frames before the source's change still carry the operator's title.
        Assert.Equal("Operator", titles.For("a", 1, 99)?.Title);
    }

    [Fact]
    public void A_new_session_of_an_encoder_forgets_the_old_sessions_titles()
    {
        var titles = new MountTitles();
        titles.Learn("a", 1, 0, "Old run");
        titles.Learn("a", 2, 0, "New run");
        Assert.Null(titles.For("a", 1, 5));
        Assert.Equal("New run", titles.For("a", 2, 5)?.Title);
    }

    [Theory]
    [InlineData(256, 100)]
    [InlineData(1000, 417)]
    [InlineData(16000, 1000)]
    public void Interleaved_output_demuxes_to_the_same_audio_and_each_title_once_at_a_block_boundary(int interval, int frameSize)
    {
        var rng = new Random(interval);
        var audio = new byte[frameSize * 200];
        rng.NextBytes(audio);
        var first = new TitleInfo("First");
        var second = new TitleInfo("Zweiter Titel – ü");
        var writer = new ArrayBufferWriter<byte>();
        var icy = new IcyInterleaver(interval);
        for (int f = 0; f < 200; f++)
        {
            var title = f < 20 ? null : f < 120 ? first : second;
            icy.Write(writer, audio.AsSpan(f * frameSize, frameSize), title);
        }

        var sink = new IcyCollector();
        var demux = new IcyDemuxer(interval);
        demux.Feed(writer.WrittenSpan, sink);
        Assert.Equal(audio, sink.AudioOut.ToArray());
        Assert.Equal(["First", "Zweiter Titel – ü"], sink.Titles.Select(t => t.Title));
        // Each title is announced at the first block boundary inside or after its first frame.
        long firstAt = 20L * frameSize, secondAt = 120L * frameSize;
        Assert.Equal((firstAt / interval + 1) * interval, sink.Titles[0].At);
        Assert.Equal((secondAt / interval + 1) * interval, sink.Titles[1].At);
        // Every other block was empty: one length byte per boundary.
        long blocks = audio.Length / interval;
        Assert.Equal(blocks, demux.Blocks);
        Assert.Equal(audio.Length + blocks + first.Block.Length - 1 + second.Block.Length - 1, writer.WrittenCount);
    }

    [Fact]
    public void Interval_zero_writes_audio_only()
    {
        var writer = new ArrayBufferWriter<byte>();
        new IcyInterleaver(0).Write(writer, new byte[5000], new TitleInfo("ignored"));
        Assert.Equal(5000, writer.WrittenCount);
    }

    [Fact]
    public void Dates_are_in_icecasts_formats()
    {
        var t = new DateTimeOffset(2026, 11, 24, 9, 5, 7, TimeSpan.Zero);
        Assert.Equal("Tue, 24 Nov 2026 09:05:07 +0000", IcecastEndpoints.Rfc822(t));
        Assert.Equal("2026-11-24T09:05:07+0000", IcecastEndpoints.Iso8601(t));
    }
}
