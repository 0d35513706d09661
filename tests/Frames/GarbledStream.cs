using Davecast.Frames;

namespace Davecast.Tests.Frames;

/// <summary>
/// A generated file with garbage inserted between its frames (positions from ffprobe, never from the
/// splitter). The garbage holds random bytes, sync words of impossible headers, broken "ID3" marks, and
/// real headers lifted from other frames: of the same stream (consistent), of another stream of the
/// same codec (inconsistent) and of the other codec. A lifted header's length never leads to a header,
/// except an inconsistent one placed to land exactly on the next real frame.
/// </summary>
/// <remarks>
/// What no splitter can tell apart is left out: a frame with garbage on both sides looks just like a
/// consistent fake header, so garbage never goes into two neighbouring gaps, nor right behind the first
/// frame (nothing confirms it yet), nor in front of the last. A consistent fake header right after a real
/// frame is followed by fewer bytes than its length, so that the next real frame starts inside it.
/// </remarks>
public sealed class GarbledStream
{
    private readonly Random _rng;
    private readonly GeneratedFile _file;
    private readonly GeneratedFile _inconsistent;
    private readonly GeneratedFile _otherCodec;
    private readonly int _headerSize;
    private readonly List<byte> _out = [];
    private readonly List<long> _mustNotHoldSync = [];

    private GarbledStream(GeneratedFile file, int seed)
    {
        _rng = new Random(seed);
        _file = file;
        var spec = file.Spec;
        (string inconsistent, string other) = spec.Encoder switch
        {
            "aac" => (spec.SampleRate == 48000 ? "aac-8000-mono-16k" : "aac-48000-stereo-128k", "mp3-44100-stereo-128k"),
            "mp3" => ("mp2-48000-stereo-192k", "aac-22050-stereo-32k"),
            _ => ("mp3-44100-stereo-128k", "aac-22050-stereo-32k"),
        };
        _inconsistent = GeneratedMedia.Get(inconsistent);
        _otherCodec = GeneratedMedia.Get(other);
        _headerSize = spec.Codec == CodecKind.Aac ? 7 : 4;
    }

    public byte[] Data { get; private set; } = [];

    /// <summary>Where each real frame ends up, and its bytes.</summary>
    public List<SplitFrame> Expected { get; } = [];

    public long GarbageBytes { get; private set; }

    public long TagBytes { get; private set; }

    public int GarbageBlocks { get; private set; }

    public int FakeHeaders { get; private set; }

    public static GarbledStream Build(GeneratedFile file, int seed)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var stream = new GarbledStream(file, seed + attempt * 7919);
            if (stream.TryBuild())
            {
                return stream;
            }
        }

        throw new InvalidOperationException("could not build an unambiguous garbled stream");
    }

    private bool TryBuild()
    {
        var packets = _file.Packets;
        int firstPos = (int)packets[0].Pos;
        var (lastPos, lastSize) = packets[^1];
        int suffixStart = (int)lastPos + lastSize;
        _out.AddRange(_file.Data.AsSpan(0, firstPos).ToArray());
        TagBytes = firstPos + (_file.Data.Length - suffixStart);

        bool previousDirty = false;
        for (int i = 0; i < packets.Count; i++)
        {
            bool allowed = !previousDirty && i != 1 && i != packets.Count - 1;
            previousDirty = allowed && _rng.NextDouble() < 0.4;
            if (previousDirty)
            {
                int start = _out.Count;
                AddBlock(i);
                GarbageBytes += _out.Count - start;
                GarbageBlocks++;
            }

            var (pos, size) = packets[i];
            byte[] frame = _file.Data.AsSpan((int)pos, size).ToArray();
            Expected.Add(new SplitFrame(_out.Count, frame, default));
            _out.AddRange(frame);
        }

        // Trailing junk after a last frame that directly follows its predecessor.
        if (suffixStart == _file.Data.Length && _rng.NextDouble() < 0.5)
        {
            int start = _out.Count;
            AddJunk(_rng.Next(_headerSize, 300));
            GarbageBytes += _out.Count - start;
        }

        _out.AddRange(_file.Data.AsSpan(suffixStart).ToArray());
        Data = [.. _out];
        return _mustNotHoldSync.All(p => p >= Data.Length || Data[p] != 0xFF);
    }

    // Garbage in front of real frame i.
    private void AddBlock(int i)
    {
        // Right after a real frame (i > 0): sometimes a consistent fake header that the next frame starts inside.
        if (i > 0 && _rng.Next(4) == 0)
        {
            var (header, size) = Lift(_file);
            int k = _rng.Next(0, size - _headerSize);
            int at = _out.Count;
            _out.AddRange(header);
            AddJunk(k);
            _mustNotHoldSync.Add(at + size);
            FakeHeaders++;
            return;
        }

        int pieces = _rng.Next(1, 5);
        for (int p = 0; p < pieces; p++)
        {
            // The first piece right after a real frame must not itself be a consistent header.
            int kind = _rng.Next(p == 0 && i > 0 ? 1 : 0, 6);
            switch (kind)
            {
                case 0:
                    AddLifted(_file);
                    break;
                case 1:
                    AddLifted(_otherCodec);
                    break;
                case 2 when p == pieces - 1:
                    // Inconsistent header whose length leads exactly to the next real frame.
                    var (header, size) = Lift(_inconsistent);
                    _out.AddRange(header);
                    AddJunk(size - header.Length);
                    FakeHeaders++;
                    break;
                case 2:
                    AddLifted(_inconsistent);
                    break;
                case 3:
                    AddImpossibleSync();
                    break;
                case 4:
                    _out.AddRange("ID3"u8.ToArray());
                    _out.Add(_rng.Next(2) == 0 ? (byte)0xFF : (byte)1);
                    break;
                default:
                    AddJunk(_rng.Next(1, 120));
                    break;
            }

            // Junk between pieces (never after a piece whose length is meant to land on the frame).
            if (kind != 2 || p != pieces - 1)
            {
                AddJunk(_rng.Next(0, 40));
            }
        }
    }

    private void AddLifted(GeneratedFile donor)
    {
        var (header, size) = Lift(donor);
        _mustNotHoldSync.Add(_out.Count + size);
        _out.AddRange(header);
        FakeHeaders++;
    }

    // The header of a random frame of donor, with that frame's length (from ffprobe).
    private (byte[] Header, int Size) Lift(GeneratedFile donor)
    {
        var (pos, size) = donor.Packets[_rng.Next(donor.Packets.Count)];
        int headerSize = donor.Spec.Codec == CodecKind.Aac ? 7 : 4;
        return (donor.Data.AsSpan((int)pos, headerSize).ToArray(), size);
    }

    // Sync words followed by a reserved or forbidden field value.
    private void AddImpossibleSync()
    {
        byte r() => (byte)_rng.Next(0, 255);
        if (_file.Spec.Codec == CodecKind.Aac)
        {
            switch (_rng.Next(3))
            {
                case 0: // sampling frequency index 13..15
                    _out.AddRange([0xFF, 0xF1, (byte)(0x40 | (_rng.Next(13, 16) << 2)), r(), r(), r(), r()]);
                    break;
                case 1: // channel configuration 0
                    _out.AddRange([0xFF, 0xF1, 0x50, (byte)(r() & 0x3F), r(), r(), r()]);
                    break;
                default: // frame length shorter than the header
                    _out.AddRange([0xFF, 0xF1, 0x50, 0x80, 0x00, (byte)_rng.Next(0, 0x20), r()]);
                    break;
            }
        }
        else
        {
            switch (_rng.Next(4))
            {
                case 0: // bitrate index 15
                    _out.AddRange([0xFF, 0xFB, (byte)(0xF0 | _rng.Next(16)), r()]);
                    break;
                case 1: // sample rate index 3
                    _out.AddRange([0xFF, 0xF3, (byte)(0x9C | _rng.Next(4)), r()]);
                    break;
                case 2: // reserved version
                    _out.AddRange([0xFF, 0xEB, r(), r()]);
                    break;
                default: // free format
                    _out.AddRange([0xFF, 0xFB, (byte)(0x04 | _rng.Next(4)), r()]);
                    break;
            }
        }
    }

    // Random bytes without 0xFF, so that every sync word in the garbage is one we placed.
    private void AddJunk(int count)
    {
        for (int i = 0; i < count; i++)
        {
            _out.Add((byte)_rng.Next(0, 255));
        }
    }
}
