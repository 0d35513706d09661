using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Davecast.Frames;

namespace Davecast.Grains.Feed;

/// <summary>
/// Writes and reads relay-feed messages: <c>length (4) | type (1) | payload</c>, integers big-endian, strings as
/// a 2-byte length and UTF-8. A batch is written once per interval and the same bytes go to every edge.
/// </summary>
public static class FeedCodec
{
    public static byte[] Hello(FeedHello hello)
    {
        var w = new ArrayBufferWriter<byte>(64);
        int start = Begin(w, FeedMessageType.Hello);
        WriteByte(w, hello.Version);
        WriteString(w, hello.Name);
        WriteString(w, hello.Site);
        return End(w, start);
    }

    /// <summary>
    /// Messages under this size stay off the large-object heap: a relay with hundreds of mounts writes one interval
    /// as several such messages, not one of half a megabyte a tenth of a second (gen-2 collections).
    /// </summary>
    public const int BatchMessageTarget = 64 * 1024;

    /// <summary>
    /// One interval's batches of every mount, as one or more Batch messages of about <see cref="BatchMessageTarget"/>
    /// bytes at most (a larger single mount gets a message of its own); none: one empty message, a heartbeat.
    /// </summary>
    public static byte[][] Batches(long number, IReadOnlyList<MountBatch> mounts)
    {
        if (mounts.Count == 0) return [Batch(number, mounts)];
        var messages = new List<byte[]>();
        var group = new List<MountBatch>();
        int size = 32;
        foreach (var m in mounts)
        {
            int mountSize = SizeOf(m);
            if (group.Count > 0 && size + mountSize > BatchMessageTarget)
            {
                messages.Add(Batch(number, group));
                group.Clear();
                size = 32;
            }
            group.Add(m);
            size += mountSize;
        }
        messages.Add(Batch(number, group));
        return [.. messages];
    }

    /// <summary>Bytes one mount takes in a Batch message (strings counted at their longest UTF-8 length).</summary>
    private static int SizeOf(MountBatch m)
    {
        int size = 2 + m.Mount.Length * 3 + 8 + 4;
        foreach (var e in m.Encoders)
            size += 2 + e.Encoder.Length * 3 + 8 + 4 + e.Count * FrameHeaderSize + (e.Offsets[e.Count] - e.Offsets[0]) + 1 + (e.Title is { } t ? 2 + t.Length * 3 + 8 : 0);
        return size;
    }

    /// <summary>One Batch message of the given mounts' batches (none: a heartbeat).</summary>
    public static byte[] Batch(long number, IReadOnlyList<MountBatch> mounts)
    {
        int size = 32;
        foreach (var m in mounts) size += SizeOf(m);
        var w = new ArrayBufferWriter<byte>(size);
        int start = Begin(w, FeedMessageType.Batch);
        WriteInt64(w, number);
        WriteInt32(w, mounts.Count);
        foreach (var m in mounts)
        {
            WriteString(w, m.Mount);
            WriteInt64(w, m.BatchNumber);
            WriteInt32(w, m.Encoders.Length);
            foreach (var e in m.Encoders) WriteFrames(w, e);
        }
        return End(w, start);
    }

    public static byte[] BackfillRequest(in FeedBackfillRequest r)
    {
        var w = new ArrayBufferWriter<byte>(128);
        int start = Begin(w, FeedMessageType.BackfillRequest);
        WriteInt32(w, (int)r.Id);
        WriteString(w, r.Mount);
        WriteString(w, r.Encoder);
        WriteUInt64(w, r.Session);
        WriteUInt64(w, r.From);
        WriteInt32(w, r.MaxFrames);
        return End(w, start);
    }

    public static byte[] BackfillReply(FeedBackfillReply r)
    {
        var w = new ArrayBufferWriter<byte>(256 + (r.Slice.Frames?.Data.Length ?? 0));
        int start = Begin(w, FeedMessageType.BackfillReply);
        WriteInt32(w, (int)r.Id);
        WriteString(w, r.Mount);
        WriteUInt64(w, r.Slice.OldestSequence);
        WriteUInt64(w, r.Slice.NewestSequence);
        WriteByte(w, r.Slice.Frames is null ? (byte)0 : (byte)1);
        if (r.Slice.Frames is { } f) WriteFrames(w, f);
        return End(w, start);
    }

    /// <summary>
    /// Takes one whole message off the front of <paramref name="buffer"/>. False when it has not all arrived yet, or
    /// when the length is impossible (<paramref name="corrupt"/>: close the connection).
    /// </summary>
    public static bool TryTake(ref ReadOnlySequence<byte> buffer, out FeedMessageType type, out ReadOnlySequence<byte> payload, out bool corrupt)
    {
        type = default;
        payload = default;
        corrupt = false;
        if (buffer.Length < FeedProtocol.PrefixSize) return false;
        var reader = new SequenceReader<byte>(buffer);
        reader.TryReadBigEndian(out int length);
        reader.TryRead(out byte t);
        if (length < 1 || length > FeedProtocol.MaxMessageSize)
        {
            corrupt = true;
            return false;
        }
        if (buffer.Length < 4 + length) return false;
        type = (FeedMessageType)t;
        payload = buffer.Slice(FeedProtocol.PrefixSize, length - 1);
        buffer = buffer.Slice(4 + length);
        return true;
    }

    public static FeedHello ReadHello(ReadOnlySequence<byte> payload)
    {
        var r = new SequenceReader<byte>(payload);
        byte version = ReadByte(ref r);
        return new FeedHello(version, ReadString(ref r), ReadString(ref r));
    }

    /// <summary>The batches of one interval, each marked as coming from <paramref name="relay"/>, which speaks <paramref name="version"/>.</summary>
    public static List<MountBatch> ReadBatch(ReadOnlySequence<byte> payload, string relay, byte version = FeedProtocol.Version)
    {
        var r = new SequenceReader<byte>(payload);
        ReadInt64(ref r);
        int mounts = ReadCount(ref r, 1_000_000);
        // Each mount takes at least its name's length, its batch number and its encoder count: 14 bytes.
        if (r.Remaining < mounts * 14L) throw new FormatException("feed message ends inside its mounts");
        var list = new List<MountBatch>(mounts);
        for (int i = 0; i < mounts; i++)
        {
            string mount = ReadString(ref r);
            long number = ReadInt64(ref r);
            int encoders = ReadCount(ref r, 1024);
            var batches = new FrameBatch[encoders];
            for (int j = 0; j < encoders; j++) batches[j] = ReadFrames(ref r, mount, relay, version);
            list.Add(new MountBatch { Mount = mount, Relay = relay, BatchNumber = number, Encoders = batches });
        }
        return list;
    }

    public static FeedBackfillRequest ReadBackfillRequest(ReadOnlySequence<byte> payload)
    {
        var r = new SequenceReader<byte>(payload);
        uint id = (uint)ReadInt32(ref r);
        string mount = ReadString(ref r), encoder = ReadString(ref r);
        ulong session = ReadUInt64(ref r), from = ReadUInt64(ref r);
        int max = ReadInt32(ref r);
        return new FeedBackfillRequest(id, mount, encoder, session, from, max);
    }

    public static FeedBackfillReply ReadBackfillReply(ReadOnlySequence<byte> payload, string relay, byte version = FeedProtocol.Version)
    {
        var r = new SequenceReader<byte>(payload);
        uint id = (uint)ReadInt32(ref r);
        string mount = ReadString(ref r);
        ulong oldest = ReadUInt64(ref r), newest = ReadUInt64(ref r);
        var frames = ReadByte(ref r) == 0 ? null : ReadFrames(ref r, mount, relay, version);
        return new FeedBackfillReply(id, mount, new WindowSlice(frames, oldest, newest));
    }

    /// <summary>Per frame: sequence (8), timestamp (8), duration in microseconds (4), content hash (8), length (4).</summary>
    private const int FrameHeaderSize = 32;

    private static void WriteFrames(ArrayBufferWriter<byte> w, FrameBatch b)
    {
        WriteString(w, b.Encoder);
        WriteUInt64(w, b.Session);
        WriteInt32(w, b.Count);
        for (int i = 0; i < b.Count; i++)
        {
            WriteUInt64(w, b.Sequences[i]);
            WriteInt64(w, b.Timestamps[i]);
            WriteInt32(w, b.Durations[i]);
            WriteUInt64(w, b.Hashes[i]);
            WriteInt32(w, b.Offsets[i + 1] - b.Offsets[i]);
        }
        int total = b.Offsets[b.Count];
        b.Data.AsSpan(b.Offsets[0], total - b.Offsets[0]).CopyTo(w.GetSpan(total));
        w.Advance(total - b.Offsets[0]);
        WriteByte(w, b.Title is null ? (byte)0 : (byte)1);
        if (b.Title is { } title)
        {
            WriteString(w, title);
            WriteUInt64(w, b.TitleFrom);
        }
    }

    private static FrameBatch ReadFrames(ref SequenceReader<byte> r, string mount, string relay, byte version)
    {
        bool measured = version >= 2;
        int headerSize = measured ? FrameHeaderSize : FrameHeaderSizeV1;
        string encoder = ReadString(ref r);
        ulong session = ReadUInt64(ref r);
        int count = ReadCount(ref r, 1_000_000);
        // Counts and lengths are checked against what the payload holds before anything is allocated for them: a
        // corrupt message is a FormatException, never an overflow or a gigabyte array.
        if (r.Remaining < count * (long)headerSize) throw new FormatException("feed message ends inside frame headers");
        var sequences = new ulong[count];
        var timestamps = new long[count];
        var durations = new int[count];
        var hashes = new ulong[count];
        var offsets = new int[count + 1];
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            sequences[i] = ReadUInt64(ref r);
            timestamps[i] = ReadInt64(ref r);
            if (measured)
            {
                durations[i] = ReadCount(ref r, 10_000_000);
                hashes[i] = ReadUInt64(ref r);
            }
            total += ReadCount(ref r, FeedProtocol.MaxMessageSize);
            if (total > r.Remaining || total > int.MaxValue) throw new FormatException("feed message ends inside frame data");
            offsets[i + 1] = (int)total;
        }
        var data = new byte[offsets[count]];
        if (!r.TryCopyTo(data)) throw new FormatException("feed message ends inside frame data");
        r.Advance(data.Length);
        if (!measured) Measure(data, offsets, durations, hashes);
        string? title = null;
        ulong titleFrom = 0;
        if (ReadByte(ref r) != 0)
        {
            title = ReadString(ref r);
            titleFrom = ReadUInt64(ref r);
        }
        return new FrameBatch
        {
            Mount = mount, Relay = relay, Encoder = encoder, Session = session, Sequences = sequences, Timestamps = timestamps,
            Durations = durations, Hashes = hashes, Offsets = offsets, Data = data, Title = title, TitleFrom = titleFrom,
        };
    }

    /// <summary>Version 1 per frame: sequence (8), timestamp (8), length (4).</summary>
    private const int FrameHeaderSizeV1 = 20;

    // A version 1 relay sends neither duration nor hash: worked out here, once per copy, as edges did then.
    private static void Measure(byte[] data, int[] offsets, int[] durations, ulong[] hashes)
    {
        for (int i = 0; i < durations.Length; i++)
        {
            var frame = data.AsSpan(offsets[i], offsets[i + 1] - offsets[i]);
            durations[i] = FrameFormats.Detect(frame, out _, out var p) is null ? 0 : (int)p.FrameDurationMicros;
            hashes[i] = FrameHash.Of(frame);
        }
    }

    private static int Begin(ArrayBufferWriter<byte> w, FeedMessageType type)
    {
        int start = w.WrittenCount;
        w.GetSpan(FeedProtocol.PrefixSize)[4] = (byte)type;
        w.Advance(FeedProtocol.PrefixSize);
        return start;
    }

    private static byte[] End(ArrayBufferWriter<byte> w, int start)
    {
        var bytes = w.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(start), bytes.Length - start - 4);
        return bytes;
    }

    private static void WriteByte(ArrayBufferWriter<byte> w, byte v)
    {
        w.GetSpan(1)[0] = v;
        w.Advance(1);
    }

    private static void WriteInt32(ArrayBufferWriter<byte> w, int v)
    {
        BinaryPrimitives.WriteInt32BigEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> w, long v)
    {
        BinaryPrimitives.WriteInt64BigEndian(w.GetSpan(8), v);
        w.Advance(8);
    }

    private static void WriteUInt64(ArrayBufferWriter<byte> w, ulong v)
    {
        BinaryPrimitives.WriteUInt64BigEndian(w.GetSpan(8), v);
        w.Advance(8);
    }

    private static void WriteString(ArrayBufferWriter<byte> w, string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        if (n > ushort.MaxValue) throw new ArgumentException("feed strings are at most 65535 bytes", nameof(s));
        var span = w.GetSpan(2 + n);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)n);
        Encoding.UTF8.GetBytes(s, span[2..]);
        w.Advance(2 + n);
    }

    private static byte ReadByte(ref SequenceReader<byte> r) =>
        r.TryRead(out byte v) ? v : throw new FormatException("feed message too short");

    private static int ReadInt32(ref SequenceReader<byte> r) =>
        r.TryReadBigEndian(out int v) ? v : throw new FormatException("feed message too short");

    private static int ReadCount(ref SequenceReader<byte> r, int max)
    {
        int v = ReadInt32(ref r);
        return v >= 0 && v <= max ? v : throw new FormatException($"feed message count {v} out of range");
    }

    private static long ReadInt64(ref SequenceReader<byte> r) =>
        r.TryReadBigEndian(out long v) ? v : throw new FormatException("feed message too short");

    private static ulong ReadUInt64(ref SequenceReader<byte> r) => (ulong)ReadInt64(ref r);

    private static string ReadString(ref SequenceReader<byte> r)
    {
        if (!r.TryReadBigEndian(out short raw)) throw new FormatException("feed message too short");
        int n = (ushort)raw;
        if (r.Remaining < n) throw new FormatException("feed message ends inside a string");
        string s = r.UnreadSpan.Length >= n ? Encoding.UTF8.GetString(r.UnreadSpan[..n]) : Encoding.UTF8.GetString(r.Sequence.Slice(r.Position, n));
        r.Advance(n);
        return s;
    }
}
