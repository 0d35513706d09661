using System.Buffers;
using Davecast.Bench.Load;
using Davecast.Frames;

namespace Davecast.Bench.Listen;

/// <summary>
/// Checks a listener's audio frame by frame against the looping fixture: every frame must be the fixture's next
/// one. Fed incrementally with whatever the socket gave; a frame is identified by its content.
/// </summary>
public sealed class FrameCheck(Programme programme)
{
    private readonly FrameSplitter _splitter = new(programme.Parameters.Codec);
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;
    private int _previous = -1;

    public Programme Programme { get; } = programme;

    public long Frames { get; private set; }

    /// <summary>Frames skipped: a jump forward in the fixture.</summary>
    public long Missing { get; private set; }

    /// <summary>Frames played again: a step back.</summary>
    public long Repeated { get; private set; }

    /// <summary>Frames that are not in the fixture.</summary>
    public long Foreign { get; private set; }

    /// <summary>Bytes before the first frame, or between frames, that are not a frame (a burst that starts mid-frame).</summary>
    public long SkippedBytes => _splitter.SkippedBytes + _splitter.TagBytes;

    public string? FirstProblem { get; private set; }

    /// <param name="onFrame">Called with each frame's fixture position (or -1).</param>
    public void Add(ReadOnlySpan<byte> data, Action<int>? onFrame = null)
    {
        if (_length + data.Length > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + data.Length));
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
        var sequence = new ReadOnlySequence<byte>(_buffer, 0, _length);
        while (_splitter.TryReadFrame(ref sequence, isFinalBlock: false, out var frame, out _))
        {
            int index = Programme.IndexOf(frame.FirstSpan);
            Check(index);
            onFrame?.Invoke(index);
        }
        int consumed = _length - (int)sequence.Length;
        if (consumed > 0)
        {
            _buffer.AsSpan(consumed, _length - consumed).CopyTo(_buffer);
            _length -= consumed;
        }
    }

    private void Check(int index)
    {
        Frames++;
        if (index < 0)
        {
            Foreign++;
            FirstProblem ??= $"frame {Frames - 1} is not in {Path.GetFileName(Programme.Path)}";
            return;
        }
        if (_previous >= 0)
        {
            int n = Programme.Count;
            int expected = (_previous + 1) % n;
            if (index != expected)
            {
                int forward = ((index - expected) % n + n) % n;
                if (forward > n / 2 || index == _previous) Repeated += index == _previous ? 1 : n - forward;
                else Missing += forward;
                FirstProblem ??= $"frame {Frames - 1}: fixture position {index}, expected {expected}";
            }
        }
        _previous = index;
    }

    public CheckReport Report() => new(Frames, Missing, Repeated, Foreign, SkippedBytes, FirstProblem);
}

public sealed record CheckReport(long Frames, long Missing, long Repeated, long Foreign, long SkippedBytes, string? FirstProblem)
{
    public bool Perfect => Missing == 0 && Repeated == 0 && Foreign == 0;

    public static CheckReport Sum(IEnumerable<CheckReport> reports)
    {
        long f = 0, m = 0, r = 0, x = 0, s = 0;
        string? first = null;
        foreach (var c in reports)
        {
            f += c.Frames;
            m += c.Missing;
            r += c.Repeated;
            x += c.Foreign;
            s += c.SkippedBytes;
            first ??= c.FirstProblem;
        }
        return new CheckReport(f, m, r, x, s, first);
    }
}
