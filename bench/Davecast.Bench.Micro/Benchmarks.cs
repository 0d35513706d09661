using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Edge.Splicing;
using Davecast.Frames;
using Davecast.Silo;
using Davecast.Silo.Ingest;
using Davecast.Silo.Window;
using Davecast.Wire;
using Microsoft.Extensions.Options;
using static Davecast.Bench.Micro.Fixtures;

namespace Davecast.Bench.Micro;

/// <summary>Frame parsing: the splitter that publishers run over their source, and one header parse (what relays and edges do per frame).</summary>
public class FrameParsing
{
    private ReadOnlySequence<byte> _block;
    private byte[][] _frames = [];
    private FrameSplitter _splitter = null!;
    private IFrameFormat _format = null!;

    [Params("aac", "mp3")]
    public string Codec { get; set; } = "aac";

    [GlobalSetup]
    public void Setup()
    {
        var frames = FramesOf(Codec);
        _frames = [.. frames.Take(FramesPerOperation).Select(f => f.Data)];
        // One frame more than an operation reads: the last one read is confirmed by its successor's header.
        _block = new ReadOnlySequence<byte>(frames.Take(FramesPerOperation + 1).SelectMany(f => f.Data).ToArray());
        _format = FrameFormats.For(frames[0].Parameters.Codec);
        // A long-lived splitter, as a publisher's: it is in sync after the first frames.
        _splitter = new FrameSplitter(frames[0].Parameters.Codec);
        if (Split() != FramesPerOperation) throw new InvalidOperationException("splitter did not find every frame");
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation, Description = "FrameSplitter.TryReadFrame")]
    public int Split()
    {
        var buffer = _block;
        int n = 0;
        while (n < FramesPerOperation && _splitter.TryReadFrame(ref buffer, isFinalBlock: false, out _, out _)) n++;
        return n;
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation, Description = "IFrameFormat.TryParseHeader")]
    public int ParseHeader()
    {
        int total = 0;
        foreach (var f in _frames)
            if (_format.TryParseHeader(f, out int length, out _)) total += length;
        return total;
    }
}

/// <summary>One audio packet of one frame, as a relay takes it: structure, then the HMAC tag. And the publisher's side: build and sign.</summary>
public class PacketDecode
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes("bench-secret-0123456789abcdef");
    private byte[] _packet = [];
    private PacketBuilder _builder = null!;
    private ReadOnlyMemory<byte>[] _one = [];
    private readonly byte[] _out = new byte[Protocol.MaxPacketSize];
    private PacketKey _packetKey = null!;

    [Params("aac", "mp3")]
    public string Codec { get; set; } = "aac";

    [GlobalSetup]
    public void Setup()
    {
        var frame = FramesOf(Codec)[100].Data;
        _builder = new PacketBuilder($"m0001.{Codec}", "enc-a", "bench", _key, 1_700_000_000_000_000);
        _one = [frame];
        int n = _builder.Audio(_out, 1, 1000, 1_700_000_000_000_000, _one);
        _packet = _out.AsSpan(0, n).ToArray();
        _packetKey = new PacketKey(_key);
        if (!ParseAndVerifyKept()) throw new InvalidOperationException("tag does not verify");
    }

    [Benchmark(Description = "PacketCodec.TryParse")]
    public int Parse() => PacketCodec.TryParse(_packet, out var view) == RejectReason.None ? view.FrameCount : -1;

    [Benchmark(Description = "PacketCodec.TryParse + PacketKey.Verify (keyed HMAC kept)")]
    public bool ParseAndVerifyKept() => PacketCodec.TryParse(_packet, out var view) == RejectReason.None && _packetKey.Verify(view);

    [Benchmark(Description = "PacketBuilder.Audio (build + sign)")]
    public int Build() => _builder.Audio(_out, 1, 1000, 1_700_000_000_000_000, _one);
}

/// <summary>
/// The relay's merge and dedup: the duplicate window, the frame ring, and the whole PacketAcceptor.Take of a frame's
/// two copies (UDP and TCP paths), with and without the 100 ms batches to the edges.
/// </summary>
public class RelayMerge
{
    private readonly SeenWindow _seen = new(8192);
    private readonly FrameRing _ring = new(2048);
    private byte[][] _frames = [];
    private byte[][] _packets = [];
    private MountTable _table = null!;
    private PacketAcceptor _acceptor = null!;
    private BatchCollector _collector = null!;
    private ulong _next;

    [Params("aac", "mp3")]
    public string Codec { get; set; } = "aac";

    [GlobalSetup]
    public void Setup()
    {
        var frames = FramesOf(Codec);
        _frames = [.. frames.Take(FramesPerOperation).Select(f => f.Data)];
        var key = Encoding.UTF8.GetBytes("bench-secret");
        var builder = new PacketBuilder($"m0001.{Codec}", "enc-a", "bench", key, 1_700_000_000_000_000);
        var buffer = new byte[Protocol.MaxPacketSize];
        // Frame i's copies on path 0 (UDP to relay 0) and path 1 (TCP to relay 0); sequence numbers are patched per operation.
        _packets = new byte[FramesPerOperation * 2][];
        for (int i = 0; i < FramesPerOperation; i++)
            for (int path = 0; path < 2; path++)
            {
                int n = builder.Audio(buffer, (byte)path, (ulong)i, 1_700_000_000_000_000 + i * 23_219L, [_frames[i]]);
                _packets[i * 2 + path] = buffer.AsSpan(0, n).ToArray();
            }
        var options = Options.Create(new RelayOptions { Name = "relay-a" });
        _table = new MountTable(options);
        var window = new RelayWindow(options, _table);
        _acceptor = new PacketAcceptor(_table, window, KeyRing.Development, new IngestCounters(), TimeProvider.System);
        _collector = new BatchCollector(options, _table, window);
        Accept();
        TakeBatches();
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation, Description = "SeenWindow.Offer (2 copies)")]
    public int SeenWindow()
    {
        int fresh = 0;
        for (int i = 0; i < FramesPerOperation; i++)
        {
            ulong s = _next + (ulong)i;
            if (_seen.Offer(s) == SeenResult.New) fresh++;
            if (_seen.Offer(s) == SeenResult.New) fresh++;
        }
        _next += FramesPerOperation;
        return fresh;
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation, Description = "FrameRing.Put")]
    public ulong Ring()
    {
        for (int i = 0; i < FramesPerOperation; i++) _ring.Put(_next + (ulong)i, i, 21_333, (ulong)i, _frames[i]);
        _next += FramesPerOperation;
        return _ring.Newest;
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation, Description = "PacketAcceptor.Take (2 copies)")]
    public int Accept()
    {
        int accepted = AcceptFrames(0, FramesPerOperation);
        // What the pump's batches would take (kept out of this figure: see the next benchmark).
        foreach (var m in _table.Mounts)
            foreach (var e in m.Encoders.Values) e.Pending.Clear();
        return accepted;
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation, Description = "PacketAcceptor.Take (2 copies) + batch per 4 frames")]
    public int AcceptAndBatch()
    {
        int accepted = 0;
        for (int i = 0; i < FramesPerOperation; i += 4)
        {
            accepted += AcceptFrames(i, 4);
            TakeBatches();
        }
        return accepted;
    }

    private int AcceptFrames(int from, int count)
    {
        int accepted = 0;
        for (int i = from; i < from + count; i++)
        {
            ulong seq = _next + (ulong)i;
            for (int path = 0; path < 2; path++)
            {
                var packet = _packets[i * 2 + path];
                BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(20), seq);
                if (PacketCodec.TryParse(packet, out var view) == RejectReason.None && _acceptor.Take(view, out _) == RejectReason.None) accepted++;
            }
        }
        if (from + count >= FramesPerOperation) _next += FramesPerOperation;
        return accepted;
    }

    private int TakeBatches()
    {
        int n = 0;
        foreach (var m in _table.Mounts)
            if (_collector.TakeBatch(m) is { } b) n += b.Encoders.Length;
        return n;
    }
}

/// <summary>
/// The edge: each frame arrives four times (two encoders of the same programme, each from two relays); per copy
/// the header is parsed and the content hashed (as MountFeed.Offer does), the Splicer keeps one and emits the elected
/// encoder's frames in order into the listeners' OutputRing, pumped once per 4 frames (a relay batch).
/// </summary>
public class EdgeSplice
{
    private static readonly long FrameTicks = Stopwatch.Frequency * 1152 / 44100;
    private Splicer _splicer = null!;
    private OutputRing _ring = null!;
    private Action<SpliceFrame, EncoderTrack, ulong> _emit = null!;
    private ReadOnlyMemory<byte>[] _frames = [];
    private IFrameFormat _format = null!;
    private ulong _next;
    private long _now;
    private long _emitted;

    [Params("aac", "mp3")]
    public string Codec { get; set; } = "aac";

    [GlobalSetup]
    public void Setup()
    {
        var frames = FramesOf(Codec);
        _frames = [.. frames.Select(f => new ReadOnlyMemory<byte>(f.Data))];
        _format = FrameFormats.For(frames[0].Parameters.Codec);
        long f = Stopwatch.Frequency;
        _splicer = new Splicer(new SplicerTiming(Hold: f * 4 / 10, BackfillWait: f * 3 / 10, EncoderTimeout: 3 * f, BackupWait: 2 * f));
        _splicer.Elect("enc-a", 1, null);
        _ring = new OutputRing(new BurstLimit(64 * 1024, long.MaxValue));
        _emit = (frame, track, seq) =>
        {
            _ring.Append(frame.Data.Span, frame.TimestampMicros, frame.DurationMicros);
            _emitted++;
        };
        _now = Stopwatch.GetTimestamp();
        // Two seconds of frames: the splicer starts once its hold has passed.
        for (int i = 0; i < 8; i++) Splice();
        if (_emitted == 0) throw new InvalidOperationException("the splicer emitted nothing");
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation, Description = "Splicer: 4 copies in, 1 frame out to OutputRing")]
    public long Splice()
    {
        for (int i = 0; i < FramesPerOperation; i++)
        {
            ulong seq = _next++;
            var data = _frames[(int)(seq % (ulong)_frames.Length)];
            long timestamp = (long)seq * 26_122;
            _now += FrameTicks;
            for (int copy = 0; copy < 4; copy++)
            {
                long duration = _format.TryParseHeader(data.Span, out _, out var p) ? p.FrameDurationMicros : 0;
                var frame = new SpliceFrame(data, timestamp, duration, Davecast.Frames.FrameHash.Of(data.Span));
                _splicer.Offer(copy < 2 ? "enc-a" : "enc-b", copy < 2 ? 1UL : 2UL, seq, frame, _now);
            }
            if (i % 4 == 3)
            {
                _splicer.Pump(_now, _emit);
                _ring.Publish();
            }
        }
        return _emitted;
    }
}
