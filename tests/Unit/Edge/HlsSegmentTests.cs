using System.Buffers.Binary;
using System.Text;
using Davecast.Edge;
using Davecast.Edge.Outputs;
using Davecast.Edge.Outputs.Hls;
using Davecast.Frames;

namespace Davecast.Tests.Edge;

public class HlsSegmentTests
{
    // AAC at 48 kHz: 1024 samples, 21333 µs a frame; media time from a wall clock, as publishers stamp it.
    private const long Start = 1_764_547_200_000_000;

    private static ProgrammeFrame Frame(long n, TitleInfo? title = null, long from = Start) =>
        new(new byte[] { 0xFF, 0xF1, (byte)n, (byte)(n >> 8) }, "enc", 1, (ulong)n, from + n * 1024 * 1_000_000 / 48_000, 21_333, title);

    private static List<HlsSegment> Cut(SegmentCutter cutter, IEnumerable<ProgrammeFrame> frames)
    {
        var segments = new List<HlsSegment>();
        foreach (var f in frames) cutter.Write(f, segments.Add);
        return segments;
    }

    [Fact]
    public void Two_edges_that_start_at_different_frames_cut_the_same_segments_with_the_same_numbers_and_bytes()
    {
        var title = new TitleInfo("Song – ü");
        var frames = Enumerable.Range(0, 2000).Select(n => Frame(n, title)).ToList();
        var early = Cut(new SegmentCutter(2), frames);
        var late = Cut(new SegmentCutter(2), frames.Skip(777));

        Assert.True(early.Count >= 20, $"{early.Count} segments");
        // The late edge's first segment is the first whole one after it started: none partial.
        Assert.True(late[0].StartMicros >= frames[777].TimestampMicros);
        foreach (var s in late)
        {
            var same = early.Single(e => e.Sequence == s.Sequence);
            Assert.Equal(same.Data, s.Data);
            Assert.Equal((same.StartMicros, same.DurationMicros), (s.StartMicros, s.DurationMicros));
        }
        // Numbers from media time: segment n starts at the first frame at or after n * 2 s, and they go up by one.
        foreach (var s in early)
        {
            Assert.Equal(s.StartMicros / 2_000_000, s.Sequence);
            Assert.InRange(s.StartMicros - s.Sequence * 2_000_000, 0, 21_333);
            Assert.InRange(s.DurationMicros, 2_000_000 - 21_334, 2_000_000 + 21_334);
            Assert.False(s.Discontinuity);
        }
        Assert.Equal(Enumerable.Range(0, early.Count).Select(i => early[0].Sequence + i), early.Select(s => s.Sequence));
    }

    [Fact]
    public void Each_segment_opens_with_its_transport_stream_timestamp_and_title_then_holds_its_frames_exactly()
    {
        var one = new TitleInfo("One");
        var two = new TitleInfo("Two");
        var frames = Enumerable.Range(0, 400).Select(n => Frame(n, n < 150 ? one : two)).ToList();
        var segments = Cut(new SegmentCutter(1), frames);
        var audio = new List<byte>();
        foreach (var s in segments)
        {
            int tag = Id3Tag.Length(s.Data);
            Assert.True(tag > 0);
            var id3 = Encoding.Latin1.GetString(s.Data, 0, tag);
            int priv = id3.IndexOf("com.apple.streaming.transportStreamTimestamp\0", StringComparison.Ordinal);
            ulong pts = BinaryPrimitives.ReadUInt64BigEndian(s.Data.AsSpan(priv + 45, 8));
            Assert.Equal((ulong)(s.StartMicros * 9 / 100) & ((1UL << 33) - 1), pts);
            Assert.True(pts < 1UL << 33);
            audio.AddRange(s.Data.Skip(tag));
        }
        // The segment in which the title changes carries the new one (TIT2 and TXXX StreamTitle); those before, the old.
        var change = segments.First(s => s.StartMicros + s.DurationMicros > frames[150].TimestampMicros);
        Assert.Contains("TXXX", Tag(change));
        Assert.Contains("StreamTitle\0Two", Tag(change));
        Assert.Contains("TIT2", Tag(change));
        Assert.Contains("One", Tag(segments[0]));
        // The frames, in order, none lost or repeated: from the first whole segment to the last finished one.
        int first = frames.FindIndex(f => f.TimestampMicros == segments[0].StartMicros);
        var expected = frames.Skip(first).Take(audio.Count / 4).SelectMany(f => f.Data.ToArray());
        Assert.Equal(expected, audio);
    }

    private static string Tag(HlsSegment s) => Encoding.UTF8.GetString(s.Data, 0, Id3Tag.Length(s.Data));

    [Fact]
    public void A_jump_in_media_time_ends_the_segment_marks_the_next_discontinuous_and_numbers_only_go_up()
    {
        var before = Enumerable.Range(0, 300).Select(n => Frame(n));
        // Ten seconds later (a mount that came back); then a backup stamped 3 s earlier than that.
        var after = Enumerable.Range(0, 300).Select(n => Frame(n, from: Start + 6_400_000 + 10_000_000));
        var behind = Enumerable.Range(0, 300).Select(n => Frame(n, from: Start + 6_400_000 + 10_000_000 + 6_400_000 - 3_000_000));
        var segments = Cut(new SegmentCutter(2) { MaxGaps = 3 }, before.Concat(after).Concat(behind));

        // Numbers go up by one, except over a jump longer than the window, whose gaps then fill the whole window.
        for (int i = 1; i < segments.Count; i++)
        {
            Assert.True(segments[i].Sequence > segments[i - 1].Sequence);
            if (segments[i].Sequence != segments[i - 1].Sequence + 1) Assert.All(segments.Skip(i).Take(3), s => Assert.True(s.Gap));
        }
        Assert.Equal(3, segments.Count(s => s.Gap));
        Assert.All(segments.Where(s => s.Gap), s => Assert.Empty(s.Data));
        var real = segments.Where(s => !s.Gap).ToList();
        Assert.Equal(2, real.Count(s => s.Discontinuity));
        // No segment rounds to more than the target duration, even where media time went back.
        Assert.All(segments, s => Assert.True(Math.Round(s.DurationMicros / 1e6) <= 2, $"{s.Sequence}: {s.DurationMicros} µs"));
    }

    [Fact]
    public void The_window_keeps_the_newest_segments_and_counts_the_discontinuities_that_left_it()
    {
        var window = HlsWindow.Empty;
        for (int i = 0; i < 10; i++) window = window.Add(new HlsSegment(100 + i, i * 6_000_000L, 6_000_000, [(byte)i], Discontinuity: i is 2 or 8), 4);
        Assert.Equal([106L, 107, 108, 109], window.Segments.Select(s => s.Sequence));
        Assert.Equal(1, window.DiscontinuitySequence);
        Assert.True(window.TryGet(108, out var s) && s.Data[0] == 8);
        Assert.False(window.TryGet(105, out _));
        Assert.False(window.TryGet(110, out _));

        var text = MediaPlaylist.Write(window, 6, "shows/live", ".aac");
        Assert.StartsWith("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:106\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n", text);
        Assert.Contains("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:00:48.000Z\n#EXTINF:6.000,\nlive/108.aac\n", text);
        Assert.DoesNotContain("ENDLIST", text);
    }

    [Fact]
    public void The_multivariant_playlist_lists_this_edge_and_each_peer_with_the_same_bandwidth_and_codecs()
    {
        var aac = new CodecParameters(CodecKind.Aac, 48_000, 2, 0, 2, 4, 1024);
        var text = MultivariantPlaylist.Write("shows/live", aac, 128, [new Uri("http://edge-b:8000/"), new Uri("https://cdn.example/radio/")]);
        Assert.Equal("""
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-STREAM-INF:BANDWIDTH=134400,CODECS="mp4a.40.2"
            live.m3u8
            #EXT-X-STREAM-INF:BANDWIDTH=134400,CODECS="mp4a.40.2"
            http://edge-b:8000/shows/live.m3u8
            #EXT-X-STREAM-INF:BANDWIDTH=134400,CODECS="mp4a.40.2"
            https://cdn.example/radio/shows/live.m3u8

            """.ReplaceLineEndings("\n"), text);
        Assert.True(HlsPeer.TryParse("http://edge-b:8000", out var peer));
        Assert.Equal("http://edge-b:8000/", peer!.ToString());
        Assert.False(HlsPeer.TryParse("edge-b:8000", out _));
        Assert.False(HlsPeer.TryParse("ftp://edge-b/", out _));
    }
}
