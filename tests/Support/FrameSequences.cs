using System.Buffers;
using System.Security.Cryptography;

namespace Davecast.Tests.Support;

/// <summary>Compares the frames two listeners received over the same period (for example from two edges).</summary>
public static class FrameSequences
{
    /// <param name="Offset">Index in the first recording of the second's first frame (negative: the second started earlier).</param>
    /// <param name="Overlap">Frames both recordings cover at that alignment.</param>
    /// <param name="Mismatches">Positions in the overlap whose bytes differ.</param>
    public sealed record Comparison(int FramesA, int FramesB, int Offset, int Overlap, int Mismatches, string? FirstMismatch)
    {
        public bool Identical => Overlap > 0 && Mismatches == 0;

        public override string ToString() =>
            $"{FramesA} and {FramesB} frames; aligned at offset {Offset}; {Overlap} frames overlap; {Mismatches} differ"
            + (FirstMismatch is null ? "" : $"; first: {FirstMismatch}");
    }

    /// <summary>
    /// Aligns two recordings on equal frames (trying every position where one's first frame occurs in the other)
    /// and keeps the alignment with the most equal frames; then counts the frames that differ in the overlap.
    /// </summary>
    public static Comparison Compare(byte[] first, byte[] second)
    {
        var a = Keys(first);
        var b = Keys(second);
        if (a.Count == 0 || b.Count == 0) return new Comparison(a.Count, b.Count, 0, 0, 0, "a recording is empty");
        var candidates = new List<int>();
        for (int i = 0; i < a.Count; i++) if (a[i] == b[0]) candidates.Add(i);
        for (int j = 1; j < b.Count; j++) if (b[j] == a[0]) candidates.Add(-j);
        Comparison? best = null;
        int bestMatches = -1;
        foreach (int offset in candidates)
        {
            int overlap = 0, mismatches = 0;
            string? firstMismatch = null;
            for (int i = Math.Max(0, offset); i < a.Count && i - offset < b.Count; i++)
            {
                overlap++;
                if (a[i] == b[i - offset]) continue;
                mismatches++;
                firstMismatch ??= $"frame {i} of the first differs from frame {i - offset} of the second";
            }
            if (overlap - mismatches > bestMatches)
            {
                bestMatches = overlap - mismatches;
                best = new Comparison(a.Count, b.Count, offset, overlap, mismatches, firstMismatch);
            }
        }
        return best ?? new Comparison(a.Count, b.Count, 0, 0, 0, "no frame of one recording's start occurs in the other");
    }

    private static List<string> Keys(byte[] audio)
    {
        var splitter = new Davecast.Frames.FrameSplitter();
        var buffer = new System.Buffers.ReadOnlySequence<byte>(audio);
        var keys = new List<string>();
        while (splitter.TryReadFrame(ref buffer, false, out var frame, out _))
            keys.Add(Convert.ToBase64String(SHA256.HashData(frame.ToArray())));
        return keys;
    }
}
