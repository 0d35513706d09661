using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Davecast.Grains;
using Davecast.Grains.Feed;

namespace Davecast.Tests.Feed;

/// <summary>The relay feed's wire format: what a relay writes, an edge reads back, however TCP cuts it up.</summary>
public class FeedCodecTests
{
    private const string Relay = "relay-a";

    // ---------------------------------------------------------------- round trips

    [Fact]
    public void Hello_round_trips()
    {
        var hello = new FeedHello(FeedProtocol.Version, "relay-b.east", "east");
        var (type, payload) = TakeOne(FeedCodec.Hello(hello));
        Assert.Equal(FeedMessageType.Hello, type);
        Assert.Equal(hello, FeedCodec.ReadHello(payload));
    }

    [Fact]
    public void Hello_with_an_empty_site_and_a_non_ascii_name_round_trips()
    {
        // An edge greets with no site; names are UTF-8 on the wire, so their byte count differs from their length.
        var hello = new FeedHello(200, "édge-Ørsted-♪", "");
        var (type, payload) = TakeOne(FeedCodec.Hello(hello));
        Assert.Equal(FeedMessageType.Hello, type);
        Assert.Equal(hello, FeedCodec.ReadHello(payload));
    }

    [Fact]
    public void A_batch_of_several_mounts_and_encoders_round_trips()
    {
        var mounts = SampleMounts();
        var (type, payload) = TakeOne(FeedCodec.Batch(42, mounts));
        Assert.Equal(FeedMessageType.Batch, type);
        var read = FeedCodec.ReadBatch(payload, "relay-z");
        AssertSameBatches(mounts, read, "relay-z");
    }

    [Fact]
    public void Titles_round_trip_with_where_they_apply_from_and_no_title_stays_none()
    {
        var mounts = new List<MountBatch>
        {
            Mount("/live", 1,
                Frames("with-title", 9, 100, [10, 20], title: "Café – Ørsted ♪", titleFrom: 101),
                Frames("empty-title", 9, 200, [10], title: "", titleFrom: 7),
                Frames("no-title", 9, 300, [10], title: null, titleFrom: 0)),
        };
        var read = FeedCodec.ReadBatch(TakeOne(FeedCodec.Batch(1, mounts)).Payload, Relay);
        var encoders = Assert.Single(read).Encoders;
        Assert.Equal("Café – Ørsted ♪", encoders[0].Title);
        Assert.Equal(101UL, encoders[0].TitleFrom);
        Assert.Equal("", encoders[1].Title);
        Assert.Equal(7UL, encoders[1].TitleFrom);
        Assert.Null(encoders[2].Title);
        Assert.Equal(0UL, encoders[2].TitleFrom);
    }

    [Fact]
    public void An_empty_batch_is_a_heartbeat_that_reads_back_as_no_mounts()
    {
        var bytes = FeedCodec.Batch(7, []);
        // length | type | interval number (8) | mount count (4)
        Assert.Equal(FeedProtocol.PrefixSize + 8 + 4, bytes.Length);
        Assert.Equal(bytes.Length - 4, BinaryPrimitives.ReadInt32BigEndian(bytes));
        var (type, payload) = TakeOne(bytes);
        Assert.Equal(FeedMessageType.Batch, type);
        Assert.Empty(FeedCodec.ReadBatch(payload, Relay));
    }

    [Fact]
    public void A_mount_with_no_encoders_and_an_encoder_with_no_frames_round_trip()
    {
        var mounts = new List<MountBatch>
        {
            new() { Mount = "/quiet", Relay = Relay, BatchNumber = 3, Encoders = [] },
            Mount("/idle", 4, Frames("enc", 1, 0, [])),
        };
        var read = FeedCodec.ReadBatch(TakeOne(FeedCodec.Batch(1, mounts)).Payload, Relay);
        AssertSameBatches(mounts, read, Relay);
    }

    [Fact]
    public void A_version_1_batch_is_read_with_each_frames_duration_and_hash_worked_out_by_the_edge()
    {
        // A relay not yet upgraded sends frames without duration or hash (20-byte frame headers); edges are
        // upgraded first and must still play it.
        var frames = Davecast.Frames.FrameFile.ReadAll(Davecast.Tests.Support.Repo.Fixture("programme.mp3")).Take(3).ToArray();
        var w = new ArrayBufferWriter<byte>();
        void Bytes(ReadOnlySpan<byte> b) { b.CopyTo(w.GetSpan(b.Length)); w.Advance(b.Length); }
        void Int32(int v) { BinaryPrimitives.WriteInt32BigEndian(w.GetSpan(4), v); w.Advance(4); }
        void Int64(long v) { BinaryPrimitives.WriteInt64BigEndian(w.GetSpan(8), v); w.Advance(8); }
        void Str(string v) { BinaryPrimitives.WriteUInt16BigEndian(w.GetSpan(2), (ushort)Encoding.UTF8.GetByteCount(v)); w.Advance(2); Bytes(Encoding.UTF8.GetBytes(v)); }
        Int64(9);
        Int32(1);
        Str("/m.mp3");
        Int64(4);
        Int32(1);
        Str("enc");
        Int64(77);
        Int32(frames.Length);
        for (int i = 0; i < frames.Length; i++)
        {
            Int64(100 + i);
            Int64(1_000_000 + i * 26_122);
            Int32(frames[i].Data.Length);
        }
        foreach (var f in frames) Bytes(f.Data);
        Bytes([0]);

        var read = FeedCodec.ReadBatch(new ReadOnlySequence<byte>(w.WrittenMemory), Relay, version: 1).Single().Encoders.Single();
        Assert.Equal([100UL, 101UL, 102UL], read.Sequences);
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.Equal(frames[i].Data, read.Frame(i).ToArray());
            Assert.Equal((int)frames[i].Parameters.FrameDurationMicros, read.Durations[i]);
            Assert.Equal(Davecast.Frames.FrameHash.Of(frames[i].Data), read.Hashes[i]);
        }
        Assert.True(FeedProtocol.CanRead(1));
        Assert.False(FeedProtocol.CanRead(FeedProtocol.Version + 1));
    }

    [Fact]
    public void Only_the_frames_of_a_batch_are_written_when_its_data_starts_past_offset_zero()
    {
        // A batch may view the middle of a larger buffer: frame i is Data[Offsets[i]..Offsets[i+1]].
        byte[] data = [0xEE, 0xEE, 0xEE, 1, 2, 3, 4, 5, 0xEE];
        var batch = new FrameBatch
        {
            Mount = "/m", Relay = Relay, Encoder = "enc", Session = 5,
            Sequences = [10, 11], Timestamps = [1000, 2000], Durations = [21_333, 21_333], Hashes = [7, 8], Offsets = [3, 5, 8], Data = data,
        };
        var read = FeedCodec.ReadBatch(
            TakeOne(FeedCodec.Batch(1, [new MountBatch { Mount = "/m", Relay = Relay, BatchNumber = 1, Encoders = [batch] }])).Payload, Relay);
        var frames = Assert.Single(Assert.Single(read).Encoders);
        Assert.Equal(new[] { 0, 2, 5 }, frames.Offsets);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, frames.Data);
        Assert.Equal(new byte[] { 1, 2 }, frames.Frame(0).ToArray());
        Assert.Equal(new byte[] { 3, 4, 5 }, frames.Frame(1).ToArray());
    }

    [Fact]
    public void A_backfill_request_round_trips_with_extreme_values()
    {
        var request = new FeedBackfillRequest(uint.MaxValue, "/mount/ünïcode", "encoder-2", ulong.MaxValue, ulong.MaxValue - 1, 1024);
        var (type, payload) = TakeOne(FeedCodec.BackfillRequest(request));
        Assert.Equal(FeedMessageType.BackfillRequest, type);
        Assert.Equal(request, FeedCodec.ReadBackfillRequest(payload));

        var small = new FeedBackfillRequest(1, "/m", "e", 0, 0, 0);
        Assert.Equal(small, FeedCodec.ReadBackfillRequest(TakeOne(FeedCodec.BackfillRequest(small)).Payload));
    }

    [Fact]
    public void A_backfill_reply_with_frames_round_trips()
    {
        var frames = Frames("enc-b", 77, 5000, [417, 1, 0, 2048], title: "Now playing", titleFrom: 5002, mount: "/radio");
        var reply = new FeedBackfillReply(3_000_000_000, "/radio", new WindowSlice(frames, 4000, 6000));
        var (type, payload) = TakeOne(FeedCodec.BackfillReply(reply));
        Assert.Equal(FeedMessageType.BackfillReply, type);
        var read = FeedCodec.ReadBackfillReply(payload, "relay-q");
        Assert.Equal(3_000_000_000u, read.Id);
        Assert.Equal("/radio", read.Mount);
        Assert.Equal(4000UL, read.Slice.OldestSequence);
        Assert.Equal(6000UL, read.Slice.NewestSequence);
        Assert.NotNull(read.Slice.Frames);
        AssertSameFrames(frames, read.Slice.Frames, "/radio", "relay-q");
    }

    [Fact]
    public void A_backfill_reply_without_frames_round_trips_its_window_bounds()
    {
        var reply = new FeedBackfillReply(9, "/radio", new WindowSlice(null, 123, ulong.MaxValue));
        var (type, payload) = TakeOne(FeedCodec.BackfillReply(reply));
        Assert.Equal(FeedMessageType.BackfillReply, type);
        var read = FeedCodec.ReadBackfillReply(payload, Relay);
        Assert.Equal(9u, read.Id);
        Assert.Equal("/radio", read.Mount);
        Assert.Null(read.Slice.Frames);
        Assert.Equal(123UL, read.Slice.OldestSequence);
        Assert.Equal(ulong.MaxValue, read.Slice.NewestSequence);
    }

    [Fact]
    public void Every_message_carries_its_own_length_and_type_in_the_prefix()
    {
        foreach (var (bytes, type) in SampleStream())
        {
            Assert.Equal(bytes.Length - 4, BinaryPrimitives.ReadInt32BigEndian(bytes));
            Assert.Equal((byte)type, bytes[4]);
        }
    }

    // ---------------------------------------------------------------- framing

    [Fact]
    public void Messages_back_to_back_in_one_buffer_are_taken_in_order_and_the_buffer_ends_empty()
    {
        var messages = SampleStream();
        var buffer = new ReadOnlySequence<byte>(messages.SelectMany(m => m.Bytes).ToArray());
        foreach (var (bytes, type) in messages)
        {
            Assert.True(FeedCodec.TryTake(ref buffer, out var t, out var payload, out bool corrupt));
            Assert.False(corrupt);
            Assert.Equal(type, t);
            Assert.Equal(bytes[FeedProtocol.PrefixSize..], payload.ToArray());
        }
        Assert.Equal(0, buffer.Length);
        Assert.False(FeedCodec.TryTake(ref buffer, out _, out _, out bool end));
        Assert.False(end);
    }

    [Fact]
    public void A_stream_split_in_two_at_every_byte_yields_the_same_messages_and_never_a_partial_one()
    {
        var messages = SampleStream();
        var stream = messages.SelectMany(m => m.Bytes).ToArray();
        for (int split = 0; split <= stream.Length; split++)
            AssertArrivesWhole(messages, stream, [split, stream.Length]);
    }

    [Fact]
    public void A_stream_arriving_one_byte_at_a_time_yields_every_message_exactly_when_its_last_byte_arrives()
    {
        var messages = SampleStream();
        var stream = messages.SelectMany(m => m.Bytes).ToArray();
        AssertArrivesWhole(messages, stream, [.. Enumerable.Range(1, stream.Length)]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public void A_stream_arriving_in_small_chunks_reads_back_the_same_messages(int chunk)
    {
        var messages = SampleStream();
        var stream = messages.SelectMany(m => m.Bytes).ToArray();
        var arrivals = new List<int>();
        for (int end = chunk; end < stream.Length; end += chunk) arrivals.Add(end);
        arrivals.Add(stream.Length);
        AssertArrivesWhole(messages, stream, arrivals);
    }

    [Fact]
    public void Payloads_spread_over_many_segments_decode_as_they_do_contiguous()
    {
        // Strings and frame data that straddle segment boundaries take the readers' slow paths.
        var mounts = SampleMounts();
        var bytes = FeedCodec.Batch(5, mounts);
        foreach (int chunk in new[] { 1, 2, 5, 13 })
        {
            var buffer = Chunked(bytes, 0, bytes.Length, chunk);
            Assert.False(buffer.IsSingleSegment);
            Assert.True(FeedCodec.TryTake(ref buffer, out var type, out var payload, out bool corrupt));
            Assert.False(corrupt);
            Assert.Equal(FeedMessageType.Batch, type);
            Assert.False(payload.IsSingleSegment);
            AssertSameBatches(mounts, FeedCodec.ReadBatch(payload, Relay), Relay);
        }

        var reply = new FeedBackfillReply(1, "/ü", new WindowSlice(Frames("é", 3, 9, [5, 300, 1], title: "ß♪", titleFrom: 10, mount: "/ü"), 1, 2));
        var replyBytes = FeedCodec.BackfillReply(reply);
        var chunked = Chunked(replyBytes, 0, replyBytes.Length, 1);
        Assert.True(FeedCodec.TryTake(ref chunked, out _, out var replyPayload, out _));
        var read = FeedCodec.ReadBackfillReply(replyPayload, Relay);
        AssertSameFrames(reply.Slice.Frames!, read.Slice.Frames!, "/ü", Relay);

        var hello = new FeedHello(1, "rélay", "sïte");
        var helloBytes = FeedCodec.Hello(hello);
        var helloBuffer = Chunked(helloBytes, 0, helloBytes.Length, 1);
        Assert.True(FeedCodec.TryTake(ref helloBuffer, out _, out var helloPayload, out _));
        Assert.Equal(hello, FeedCodec.ReadHello(helloPayload));
    }

    [Fact]
    public void Fewer_bytes_than_the_prefix_are_never_judged()
    {
        for (int n = 0; n < FeedProtocol.PrefixSize; n++)
        {
            var buffer = new ReadOnlySequence<byte>(new byte[n]); // a zero length, but not all of the prefix yet
            Assert.False(FeedCodec.TryTake(ref buffer, out _, out _, out bool corrupt));
            Assert.False(corrupt);
            Assert.Equal(n, buffer.Length);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(FeedProtocol.MaxMessageSize + 1)]
    [InlineData(int.MaxValue)]
    public void An_impossible_length_marks_the_stream_corrupt_and_takes_nothing(int length)
    {
        var bytes = new byte[64];
        BinaryPrimitives.WriteInt32BigEndian(bytes, length);
        bytes[4] = (byte)FeedMessageType.Batch;
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.False(FeedCodec.TryTake(ref buffer, out _, out _, out bool corrupt));
        Assert.True(corrupt);
        Assert.Equal(bytes.Length, buffer.Length);
    }

    [Fact]
    public void An_impossible_length_after_a_good_message_is_found_once_the_good_one_is_taken()
    {
        var good = FeedCodec.Hello(new FeedHello(1, "r", "s"));
        var bytes = good.Concat(new byte[] { 0, 0, 0, 0, 2, 9, 9 }).ToArray();
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(FeedCodec.TryTake(ref buffer, out var type, out _, out bool first));
        Assert.False(first);
        Assert.Equal(FeedMessageType.Hello, type);
        Assert.False(FeedCodec.TryTake(ref buffer, out _, out _, out bool corrupt));
        Assert.True(corrupt);
    }

    [Fact]
    public void The_largest_possible_length_is_not_corrupt_it_waits_for_the_rest()
    {
        var bytes = new byte[FeedProtocol.PrefixSize + 10];
        BinaryPrimitives.WriteInt32BigEndian(bytes, FeedProtocol.MaxMessageSize);
        bytes[4] = (byte)FeedMessageType.Batch;
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.False(FeedCodec.TryTake(ref buffer, out _, out _, out bool corrupt));
        Assert.False(corrupt);
        Assert.Equal(bytes.Length, buffer.Length);
    }

    [Fact]
    public void A_message_of_only_a_type_has_an_empty_payload()
    {
        byte[] bytes = [0, 0, 0, 1, 99, 0xAB];
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(FeedCodec.TryTake(ref buffer, out var type, out var payload, out bool corrupt));
        Assert.False(corrupt);
        Assert.Equal((FeedMessageType)99, type);
        Assert.Equal(0, payload.Length);
        Assert.Equal(new byte[] { 0xAB }, buffer.ToArray());
    }

    // ---------------------------------------------------------------- truncated and lying payloads

    [Fact]
    public void Every_truncation_of_a_batch_payload_is_a_format_error()
    {
        var payload = TakeOne(FeedCodec.Batch(11, SmallMounts())).Payload.ToArray();
        for (int n = 0; n < payload.Length; n++)
            AssertFormatError(() => FeedCodec.ReadBatch(new ReadOnlySequence<byte>(payload, 0, n), Relay), n);
    }

    [Fact]
    public void Every_truncation_of_the_other_payloads_is_a_format_error()
    {
        var hello = TakeOne(FeedCodec.Hello(new FeedHello(1, "relay", "site"))).Payload.ToArray();
        for (int n = 0; n < hello.Length; n++)
            AssertFormatError(() => FeedCodec.ReadHello(new ReadOnlySequence<byte>(hello, 0, n)), n);

        var request = TakeOne(FeedCodec.BackfillRequest(new FeedBackfillRequest(4, "/m", "enc", 1, 2, 3))).Payload.ToArray();
        for (int n = 0; n < request.Length; n++)
            AssertFormatError(() => FeedCodec.ReadBackfillRequest(new ReadOnlySequence<byte>(request, 0, n)), n);

        var reply = TakeOne(FeedCodec.BackfillReply(new FeedBackfillReply(4, "/m",
            new WindowSlice(Frames("enc", 1, 2, [3, 40], title: "t", titleFrom: 2, mount: "/m"), 1, 9)))).Payload.ToArray();
        for (int n = 0; n < reply.Length; n++)
            AssertFormatError(() => FeedCodec.ReadBackfillReply(new ReadOnlySequence<byte>(reply, 0, n), Relay), n);
    }

    [Fact]
    public void A_frame_count_promising_more_frames_than_there_are_bytes_is_a_format_error()
    {
        var w = new PayloadWriter();
        w.Int64(1).Int32(1).String("/m").Int64(1).Int32(1); // one mount, one encoder
        w.String("enc").Int64(7).Int32(5);                   // five frames promised...
        w.Int64(1).Int64(100).Int32(3).Bytes(1, 2, 3);      // ...one header and its data given
        AssertFormatError(() => FeedCodec.ReadBatch(w.Sequence, Relay));
    }

    [Fact]
    public void A_frame_length_past_the_end_of_the_payload_is_a_format_error()
    {
        var w = new PayloadWriter();
        w.Int64(1).Int32(1).String("/m").Int64(1).Int32(1);
        w.String("enc").Int64(7).Int32(1);
        w.Int64(1).Int64(100).Int32(FeedProtocol.MaxMessageSize).Bytes(1, 2, 3).Byte(0);
        AssertFormatError(() => FeedCodec.ReadBatch(w.Sequence, Relay));
    }

    /// <summary>
    /// Each length alone is allowed. 40 of them pass int.MaxValue; 31 stay just under it, far more than the payload
    /// holds. Either way the reader must say the payload is bad: not overflow, nor allocate gigabytes for absent data.
    /// </summary>
    [Theory]
    [InlineData(40)]
    [InlineData(31)]
    public void Frame_lengths_adding_up_to_gigabytes_are_a_format_error(int frames)
    {
        var w = new PayloadWriter();
        w.Int64(1).Int32(1).String("/m").Int64(1).Int32(1);
        w.String("enc").Int64(7).Int32(frames);
        for (int i = 0; i < frames; i++) w.Int64(i).Int64(i).Int32(FeedProtocol.MaxMessageSize);
        w.Byte(0);
        AssertFormatError(() => FeedCodec.ReadBatch(w.Sequence, Relay));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(1_000_001)]
    [InlineData(1_000_000)] // allowed as a count, but the payload holds none of them
    public void A_mount_count_out_of_range_or_unbacked_is_a_format_error(int count)
    {
        var w = new PayloadWriter();
        w.Int64(1).Int32(count);
        AssertFormatError(() => FeedCodec.ReadBatch(w.Sequence, Relay));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1025)]
    [InlineData(2)]
    public void An_encoder_count_out_of_range_or_unbacked_is_a_format_error(int count)
    {
        var w = new PayloadWriter();
        w.Int64(1).Int32(1).String("/m").Int64(1).Int32(count);
        AssertFormatError(() => FeedCodec.ReadBatch(w.Sequence, Relay));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    [InlineData(1_000_000)]
    public void A_frame_count_out_of_range_or_unbacked_is_a_format_error(int count)
    {
        var w = new PayloadWriter();
        w.Int64(1).Int32(1).String("/m").Int64(1).Int32(1);
        w.String("enc").Int64(7).Int32(count);
        AssertFormatError(() => FeedCodec.ReadBatch(w.Sequence, Relay));
    }

    [Fact]
    public void A_negative_frame_length_is_a_format_error()
    {
        var w = new PayloadWriter();
        w.Int64(1).Int32(1).String("/m").Int64(1).Int32(1);
        w.String("enc").Int64(7).Int32(2);
        w.Int64(1).Int64(1).Int32(4).Int64(2).Int64(2).Int32(-3).Bytes(1, 2, 3, 4).Byte(0);
        AssertFormatError(() => FeedCodec.ReadBatch(w.Sequence, Relay));
    }

    [Fact]
    public void A_string_longer_than_the_payload_is_a_format_error()
    {
        var w = new PayloadWriter();
        w.Int64(1).Int32(1).UInt16(0xFFFF).Bytes((byte)'/', (byte)'m');
        AssertFormatError(() => FeedCodec.ReadBatch(w.Sequence, Relay));

        var hello = new PayloadWriter();
        hello.Byte(1).UInt16(10).Bytes((byte)'r');
        AssertFormatError(() => FeedCodec.ReadHello(hello.Sequence));
    }

    [Fact]
    public void A_backfill_reply_whose_frames_flag_promises_frames_that_are_absent_is_a_format_error()
    {
        var w = new PayloadWriter();
        w.Int32(1).String("/m").Int64(1).Int64(2).Byte(1);
        AssertFormatError(() => FeedCodec.ReadBackfillReply(w.Sequence, Relay));
    }

    [Fact]
    public void Writing_a_string_longer_than_the_wire_allows_is_refused()
    {
        var name = new string('x', ushort.MaxValue + 1);
        Assert.Throws<ArgumentException>(() => FeedCodec.Hello(new FeedHello(1, name, "")));
        // The longest allowed still round trips.
        var longest = new FeedHello(1, new string('y', ushort.MaxValue), "s");
        Assert.Equal(longest, FeedCodec.ReadHello(TakeOne(FeedCodec.Hello(longest)).Payload));
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// Feeds <paramref name="stream"/> to TryTake as a pipe would: after each arrival (the stream's first
    /// <c>arrivals[i]</c> bytes, cut into segments where it arrived), takes every whole message, keeps the rest.
    /// Each message must come out exactly once, whole, and as soon as its last byte is there.
    /// </summary>
    private static void AssertArrivesWhole(IReadOnlyList<(byte[] Bytes, FeedMessageType Type)> messages, byte[] stream, IReadOnlyList<int> arrivals)
    {
        var ends = new List<int>();
        int at = 0;
        foreach (var (bytes, _) in messages) ends.Add(at += bytes.Length);

        int consumed = 0, taken = 0, messageStart = 0;
        var cuts = new List<int>();
        foreach (int arrived in arrivals)
        {
            cuts.Add(arrived);
            var buffer = Segments(stream, consumed, cuts);
            while (FeedCodec.TryTake(ref buffer, out var type, out var payload, out bool corrupt))
            {
                Assert.False(corrupt);
                Assert.True(taken < messages.Count, $"arrived {arrived}: took a message past the last");
                Assert.True(ends[taken] <= arrived, $"arrived {arrived}: took message {taken} before its end {ends[taken]}");
                Assert.Equal(messages[taken].Type, type);
                Assert.Equal(messages[taken].Bytes.AsSpan(FeedProtocol.PrefixSize).ToArray(), payload.ToArray());
                Decode(type, payload); // must not throw, however the payload is cut into segments
                messageStart = ends[taken];
                taken++;
            }
            Assert.False(FeedCodec.TryTake(ref buffer, out _, out _, out bool waiting) || waiting);
            consumed = arrived - (int)buffer.Length;
            Assert.Equal(messageStart, consumed);
            // Nothing whole is left behind.
            Assert.True(taken == messages.Count || ends[taken] > arrived, $"arrived {arrived}: message {taken} is whole but not taken");
        }
        Assert.Equal(messages.Count, taken);
        Assert.Equal(stream.Length, consumed);
    }

    private static void Decode(FeedMessageType type, ReadOnlySequence<byte> payload)
    {
        switch (type)
        {
            case FeedMessageType.Hello: FeedCodec.ReadHello(payload); break;
            case FeedMessageType.Batch: FeedCodec.ReadBatch(payload, Relay); break;
            case FeedMessageType.BackfillRequest: FeedCodec.ReadBackfillRequest(payload); break;
            case FeedMessageType.BackfillReply: FeedCodec.ReadBackfillReply(payload, Relay); break;
            default: Assert.Fail($"unexpected type {type}"); break;
        }
    }

    /// <summary>stream[from..cuts[^1]] as a sequence with a segment boundary at every cut after <paramref name="from"/>.</summary>
    private static ReadOnlySequence<byte> Segments(byte[] stream, int from, IReadOnlyList<int> cuts)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        int start = from;
        foreach (int cut in cuts)
        {
            if (cut <= start) continue;
            pieces.Add(stream.AsMemory(start, cut - start));
            start = cut;
        }
        return Build(pieces);
    }

    private static ReadOnlySequence<byte> Chunked(byte[] bytes, int from, int to, int chunk)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        for (int i = from; i < to; i += chunk) pieces.Add(bytes.AsMemory(i, Math.Min(chunk, to - i)));
        return Build(pieces);
    }

    private static ReadOnlySequence<byte> Build(List<ReadOnlyMemory<byte>> pieces)
    {
        if (pieces.Count == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(pieces[0]);
        var last = first;
        for (int i = 1; i < pieces.Count; i++) last = last.Append(pieces[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }

    private static (FeedMessageType Type, ReadOnlySequence<byte> Payload) TakeOne(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(FeedCodec.TryTake(ref buffer, out var type, out var payload, out bool corrupt));
        Assert.False(corrupt);
        Assert.Equal(0, buffer.Length);
        return (type, payload);
    }

    private static void AssertFormatError(Action read, int? truncatedAt = null)
    {
        var e = Record.Exception(read);
        Assert.True(e is FormatException,
            $"{(truncatedAt is { } n ? $"truncated to {n} bytes: " : "")}expected FormatException, got {e?.GetType().Name ?? "no exception"}");
    }

    private static List<(byte[] Bytes, FeedMessageType Type)> SampleStream() =>
    [
        (FeedCodec.Hello(new FeedHello(FeedProtocol.Version, "relay-a", "east")), FeedMessageType.Hello),
        (FeedCodec.Batch(1, SmallMounts()), FeedMessageType.Batch),
        (FeedCodec.Batch(2, []), FeedMessageType.Batch),
        (FeedCodec.BackfillRequest(new FeedBackfillRequest(17, "/jazz", "enc-1", 3, 90, 256)), FeedMessageType.BackfillRequest),
        (FeedCodec.BackfillReply(new FeedBackfillReply(17, "/jazz", new WindowSlice(Frames("enc-1", 3, 90, [33, 7, 260], mount: "/jazz"), 80, 99))), FeedMessageType.BackfillReply),
        (FeedCodec.BackfillReply(new FeedBackfillReply(18, "/jazz", new WindowSlice(null, 0, 0))), FeedMessageType.BackfillReply),
        (FeedCodec.Batch(3, [Mount("/jazz", 9, Frames("enc-2", 1, 1, [1], title: "t", titleFrom: 1))]), FeedMessageType.Batch),
    ];

    [Fact]
    public void An_interval_of_many_mounts_is_written_as_messages_under_the_target_size_that_read_back_as_every_mount_in_order()
    {
        // 300 mounts of 2 encoders with 5 frames of 400 bytes: about 1.2 MB in all.
        var mounts = Enumerable.Range(0, 300).Select(i => Mount($"/m{i:D3}", i,
            Frames("main", 1, (ulong)i * 10, [400, 400, 400, 400, 400], mount: $"/m{i:D3}"),
            Frames("backup", 2, (ulong)i * 10, [400, 400, 400, 400, 400], mount: $"/m{i:D3}"))).ToList();
        var messages = FeedCodec.Batches(9, mounts);
        Assert.True(messages.Length > 10, $"{messages.Length} messages");
        Assert.All(messages, m => Assert.True(m.Length <= FeedCodec.BatchMessageTarget, $"a message of {m.Length} bytes"));
        var read = messages.SelectMany(m => FeedCodec.ReadBatch(TakeOne(m).Payload, Relay)).ToList();
        Assert.Equal(mounts.Select(m => m.Mount), read.Select(m => m.Mount));
        for (int i = 0; i < mounts.Count; i++)
            for (int e = 0; e < 2; e++) AssertSameFrames(mounts[i].Encoders[e], read[i].Encoders[e], mounts[i].Mount, Relay);
    }

    [Fact]
    public void An_interval_without_frames_is_one_empty_message_and_a_mount_larger_than_the_target_gets_its_own()
    {
        var empty = FeedCodec.Batches(1, []);
        Assert.Single(empty);
        Assert.Empty(FeedCodec.ReadBatch(TakeOne(empty[0]).Payload, Relay));

        var big = Mount("/big", 1, Frames("main", 1, 0, [.. Enumerable.Repeat(1500, 60)], mount: "/big"));
        var small = Mount("/small", 1, Frames("main", 1, 0, [100], mount: "/small"));
        var messages = FeedCodec.Batches(2, [small, big, small]);
        Assert.Equal(3, messages.Length);
        Assert.Equal(["/small", "/big", "/small"], messages.Select(m => FeedCodec.ReadBatch(TakeOne(m).Payload, Relay).Single().Mount));
    }

    private static List<MountBatch> SampleMounts() =>
    [
        Mount("/jazz", 1001,
            Frames("enc-1", 0xDEAD_BEEF_0000_0001, 500, [417, 418, 1, 2048], title: "Miles Davis – So What", titleFrom: 501),
            Frames("enc-2", 2, ulong.MaxValue - 3, [300, 0, 301])),
        Mount("/talk", 5,
            Frames("enc-a", 9, 0, [70_000], title: "Ünïcödé ♪", titleFrom: 0)),
        Mount("/news", long.MaxValue,
            Frames("x", 1, 10, [12]),
            Frames("y", 2, 20, [13, 14]),
            Frames("z", 3, 30, [15, 16, 17], title: "", titleFrom: 31)),
    ];

    /// <summary>Like <see cref="SampleMounts"/> but a few hundred bytes, for tests that cut it up at every byte.</summary>
    private static List<MountBatch> SmallMounts() =>
    [
        Mount("/jazz", 1001,
            Frames("enc-1", 0xDEAD_BEEF_0000_0001, 500, [41, 42, 1, 0], title: "Miles Davis – So What", titleFrom: 501),
            Frames("enc-2", 2, ulong.MaxValue - 3, [30, 31])),
        Mount("/talk", 5, Frames("enc-a", 9, 0, [], title: "Ünïcödé ♪", titleFrom: 0)),
        Mount("/news", 6),
    ];

    private static MountBatch Mount(string mount, long number, params FrameBatch[] encoders) =>
        new() { Mount = mount, Relay = Relay, BatchNumber = number, Encoders = [.. encoders.Select(e => Reparent(e, mount))] };

    private static FrameBatch Reparent(FrameBatch b, string mount) => new()
    {
        Mount = mount, Relay = b.Relay, Encoder = b.Encoder, Session = b.Session, Sequences = b.Sequences,
        Timestamps = b.Timestamps, Durations = b.Durations, Hashes = b.Hashes, Offsets = b.Offsets, Data = b.Data, Title = b.Title, TitleFrom = b.TitleFrom,
    };

    /// <summary>Frames of the given sizes, sequences from <paramref name="firstSequence"/>, bytes that tell them apart.</summary>
    private static FrameBatch Frames(string encoder, ulong session, ulong firstSequence, int[] sizes, string? title = null, ulong titleFrom = 0, string mount = "/m")
    {
        var offsets = new int[sizes.Length + 1];
        for (int i = 0; i < sizes.Length; i++) offsets[i + 1] = offsets[i] + sizes[i];
        var data = new byte[offsets[^1]];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 31 + encoder.Length * 7 + (int)session);
        return new FrameBatch
        {
            Mount = mount, Relay = Relay, Encoder = encoder, Session = session,
            Sequences = [.. Enumerable.Range(0, sizes.Length).Select(i => unchecked(firstSequence + (ulong)i))],
            Timestamps = [.. Enumerable.Range(0, sizes.Length).Select(i => 1_700_000_000_000_000L + i * 21_333L - (i % 2 == 0 ? 0 : 5))],
            Durations = [.. Enumerable.Range(0, sizes.Length).Select(i => 21_333 + i % 3)],
            Hashes = [.. Enumerable.Range(0, sizes.Length).Select(i => Davecast.Frames.FrameHash.Of(data.AsSpan(offsets[i], sizes[i])))],
            Offsets = offsets, Data = data, Title = title, TitleFrom = titleFrom,
        };
    }

    private static void AssertSameBatches(IReadOnlyList<MountBatch> expected, IReadOnlyList<MountBatch> actual, string relay)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Mount, actual[i].Mount);
            Assert.Equal(relay, actual[i].Relay);
            Assert.Equal(expected[i].BatchNumber, actual[i].BatchNumber);
            Assert.Equal(expected[i].Encoders.Length, actual[i].Encoders.Length);
            for (int j = 0; j < expected[i].Encoders.Length; j++)
                AssertSameFrames(expected[i].Encoders[j], actual[i].Encoders[j], expected[i].Mount, relay);
        }
    }

    private static void AssertSameFrames(FrameBatch expected, FrameBatch actual, string mount, string relay)
    {
        Assert.Equal(mount, actual.Mount);
        Assert.Equal(relay, actual.Relay);
        Assert.Equal(expected.Encoder, actual.Encoder);
        Assert.Equal(expected.Session, actual.Session);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Sequences, actual.Sequences);
        Assert.Equal(expected.Timestamps, actual.Timestamps);
        Assert.Equal(expected.Durations, actual.Durations);
        Assert.Equal(expected.Hashes, actual.Hashes);
        Assert.Equal(expected.Count + 1, actual.Offsets.Length);
        Assert.Equal(0, actual.Offsets[0]);
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(expected.Frame(i).ToArray(), actual.Frame(i).ToArray());
        Assert.Equal(actual.Offsets[^1], actual.Data.Length);
        Assert.Equal(expected.Title, actual.Title);
        Assert.Equal(expected.Title is null ? 0UL : expected.TitleFrom, actual.TitleFrom);
    }

    /// <summary>Hand-built payloads, to say what a well-formed writer never would.</summary>
    private sealed class PayloadWriter
    {
        private readonly List<byte> _bytes = [];

        public ReadOnlySequence<byte> Sequence => new(_bytes.ToArray());

        public PayloadWriter Byte(byte v)
        {
            _bytes.Add(v);
            return this;
        }

        public PayloadWriter Bytes(params byte[] v)
        {
            _bytes.AddRange(v);
            return this;
        }

        public PayloadWriter UInt16(ushort v)
        {
            var b = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(b, v);
            return Bytes(b);
        }

        public PayloadWriter Int32(int v)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(b, v);
            return Bytes(b);
        }

        public PayloadWriter Int64(long v)
        {
            var b = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(b, v);
            return Bytes(b);
        }

        public PayloadWriter String(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            return UInt16((ushort)b.Length).Bytes(b);
        }
    }
}
