using System.Buffers;
using Davecast.Frames;

namespace Davecast.Tests.Support;

/// <summary>
/// Checks received audio frame by frame against a looping source: every frame must be the source's next one.
/// The source's frames must all differ, which the committed fixtures guarantee.
/// </summary>
public sealed class FrameContinuity
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly int _count;

    public FrameContinuity(IReadOnlyList<ParsedFrame> source)
    {
        _count = source.Count;
        for (int i = 0; i < source.Count; i++)
            if (!_index.TryAdd(Key(source[i].Data), i)) throw new ArgumentException($"source frame {i} repeats an earlier one");
    }

    public static FrameContinuity ForFile(string path) => new(FrameFile.ReadAll(path));

    public sealed record Report(int Frames, int Missing, int Repeated, int Foreign, long LeadingGarbage, int FirstIndex, IReadOnlyList<string> Problems)
    {
        public bool Perfect => Missing == 0 && Repeated == 0 && Foreign == 0 && LeadingGarbage == 0;

        public override string ToString() =>
            $"{Frames} frames, {Missing} missing, {Repeated} repeated, {Foreign} foreign, {LeadingGarbage} leading garbage bytes"
            + (Problems.Count > 0 ? "; first problems: " + string.Join("; ", Problems.Take(10)) : "");
    }

    /// <summary>Splits <paramref name="received"/> into frames (a trailing partial frame is ignored) and checks them.</summary>
    public Report Check(ReadOnlySpan<byte> received)
    {
        var splitter = new FrameSplitter();
        var buffer = new ReadOnlySequence<byte>(received.ToArray());
        var problems = new List<string>();
        int frames = 0, missing = 0, repeated = 0, foreign = 0, first = -1, previous = -1;
        long leading = -1;
        while (splitter.TryReadFrame(ref buffer, isFinalBlock: false, out var frame, out _))
        {
            if (leading < 0) leading = splitter.SkippedBytes + splitter.TagBytes;
            var bytes = frame.ToArray();
            frames++;
            if (!_index.TryGetValue(Key(bytes), out int at))
            {
                foreign++;
                if (problems.Count < 50) problems.Add($"frame {frames - 1} is not in the source");
                continue;
            }
            if (first < 0)
            {
                first = at;
            }
            else
            {
                int expected = (previous + 1) % _count;
                if (at != expected)
                {
                    int forward = ((at - expected) % _count + _count) % _count;
                    // A short step back is a repeat; a step forward is frames lost.
                    if (forward > _count / 2 || at == previous) repeated++;
                    else missing += forward;
                    if (problems.Count < 50) problems.Add($"received frame {frames - 1}: source index {at}, expected {expected}");
                }
            }
            previous = at;
        }
        return new Report(frames, missing, repeated, foreign, Math.Max(0, leading), first, problems);
    }

    private static string Key(byte[] frame) => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(frame));
}
