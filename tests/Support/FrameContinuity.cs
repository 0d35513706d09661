using System.Buffers;
using Davecast.Frames;
using Xunit.Abstractions;

namespace Davecast.Tests.Support;

/// <summary>
/// Checks received audio frame by frame against a looping source: every frame must be the source's next one.
/// The source's frames must all differ, which the committed fixtures guarantee.
/// <para>
/// With two sources (two independent encodings of one programme, whose frame i covers the same samples in both),
/// a frame may come from either; after a switch from one to the other, the next frame's index in the new source is
/// expected to follow the last index of the old one, within <see cref="SwitchTolerance"/> frames. Each switch is
/// reported with its offset.
/// </para>
/// </summary>
public sealed class FrameContinuity
{
    private readonly Dictionary<string, (int Source, int Index)> _index = new(StringComparer.Ordinal);
    private readonly int[] _counts;
    private readonly string[] _names;

    public FrameContinuity(IReadOnlyList<ParsedFrame> source) : this([source], ["source"])
    {
    }

    public FrameContinuity(IReadOnlyList<IReadOnlyList<ParsedFrame>> sources, IReadOnlyList<string> names)
    {
        if (sources.Count is < 1 or > 2) throw new ArgumentException("one or two sources", nameof(sources));
        _counts = [.. sources.Select(s => s.Count)];
        _names = [.. names];
        for (int s = 0; s < sources.Count; s++)
            for (int i = 0; i < sources[s].Count; i++)
                if (!_index.TryAdd(Key(sources[s][i].Data), (s, i)))
                    throw new ArgumentException($"{_names[s]} frame {i} repeats an earlier frame of {_names[_index[Key(sources[s][i].Data)].Source]}");
    }

    public static FrameContinuity ForFile(string path) => new(FrameFile.ReadAll(path));

    /// <summary>Two encodings of one programme; frame i of one covers the same samples as frame i of the other.</summary>
    public static FrameContinuity ForFiles(string first, string second) =>
        new([FrameFile.ReadAll(first), FrameFile.ReadAll(second)], [Path.GetFileName(first), Path.GetFileName(second)]);

    /// <summary>How far (in frames) the index after a switch between sources may be from the expected one.</summary>
    public int SwitchTolerance { get; init; } = 1;

    public IReadOnlyList<string> SourceNames => _names;

    /// <summary>A switch from one source to the other: <see cref="Offset"/> 0 is exact, +1 one frame skipped, -1 one repeated.</summary>
    public sealed record Switch(int ReceivedFrame, int FromSource, int FromIndex, int ToSource, int ToIndex, int Offset);

    public sealed record Report(int Frames, int Missing, int Repeated, int Foreign, long LeadingGarbage, int FirstIndex, IReadOnlyList<string> Problems)
    {
        /// <summary>Switches between the two sources (empty with one source).</summary>
        public IReadOnlyList<Switch> Switches { get; init; } = [];

        /// <summary>The source of the first frame (0 or 1).</summary>
        public int FirstSource { get; init; }

        public IReadOnlyList<string> SourceNames { get; init; } = ["source"];

        public bool Perfect => Missing == 0 && Repeated == 0 && Foreign == 0 && LeadingGarbage == 0;

        public override string ToString() =>
            $"{Frames} frames, {Missing} missing, {Repeated} repeated, {Foreign} foreign, {LeadingGarbage} leading garbage bytes"
            + (Switches.Count > 0 ? "; switches: " + string.Join("; ", Switches.Take(10).Select(Describe)) : "")
            + (Problems.Count > 0 ? "; first problems: " + string.Join("; ", Problems.Take(10)) : "");

        public string Describe(Switch s) =>
            $"at received frame {s.ReceivedFrame}: {SourceNames[s.FromSource]}[{s.FromIndex}] -> {SourceNames[s.ToSource]}[{s.ToIndex}] (offset {s.Offset:+0;-0;0})";
    }

    /// <summary>One received frame: where it lies in the received bytes and which source frame it is (Source -1: foreign).</summary>
    public readonly record struct Received(int Number, long Start, long End, int Source, int Index, CodecParameters Parameters)
    {
        public double DurationSeconds => Parameters.SampleRate == 0 ? 0 : (double)Parameters.SamplesPerFrame / Parameters.SampleRate;
    }

    /// <summary>Splits <paramref name="received"/> into whole frames (a trailing partial frame is ignored) and identifies each.</summary>
    public List<Received> Identify(ReadOnlySpan<byte> received, out long leadingGarbage)
    {
        var data = received.ToArray();
        var splitter = new FrameSplitter();
        var buffer = new ReadOnlySequence<byte>(data);
        var frames = new List<Received>();
        leadingGarbage = -1;
        while (splitter.TryReadFrame(ref buffer, isFinalBlock: false, out var frame, out var parameters))
        {
            if (leadingGarbage < 0) leadingGarbage = splitter.SkippedBytes + splitter.TagBytes;
            long end = data.Length - buffer.Length;
            long start = end - frame.Length;
            var (source, index) = _index.TryGetValue(Key(frame.ToArray()), out var at) ? at : (-1, -1);
            frames.Add(new Received(frames.Count, start, end, source, index, parameters));
        }
        leadingGarbage = Math.Max(0, leadingGarbage);
        return frames;
    }

    /// <summary>
    /// Checks <paramref name="received"/>, writes the report as <paramref name="label"/>, and fails unless every frame
    /// is the source's next one and more than <paramref name="moreThan"/> came (the stream really flowed).
    /// </summary>
    public Report AssertPerfect(ReadOnlySpan<byte> received, ITestOutputHelper output, string label, int moreThan)
    {
        var report = Check(received);
        output.WriteLine($"{label}: {report}");
        Assert.True(report.Perfect, report.ToString());
        Assert.True(report.Frames > moreThan, $"only {report.Frames} frames");
        return report;
    }

    /// <summary>Splits <paramref name="received"/> into frames (a trailing partial frame is ignored) and checks them.</summary>
    public Report Check(ReadOnlySpan<byte> received)
    {
        var frames = Identify(received, out long leading);
        var problems = new List<string>();
        var switches = new List<Switch>();
        int missing = 0, repeated = 0, foreign = 0, first = -1, firstSource = -1, previous = -1, previousSource = -1;
        foreach (var f in frames)
        {
            if (f.Source < 0)
            {
                foreign++;
                if (problems.Count < 50) problems.Add($"frame {f.Number} is not in the source");
                continue;
            }
            if (first < 0)
            {
                first = f.Index;
                firstSource = f.Source;
            }
            else
            {
                int count = _counts[f.Source];
                int expected = (previous + 1) % count;
                if (f.Source != previousSource)
                {
                    int forward = ((f.Index - expected) % count + count) % count;
                    int offset = forward > count / 2 ? forward - count : forward;
                    switches.Add(new Switch(f.Number, previousSource, previous, f.Source, f.Index, offset));
                    if (Math.Abs(offset) > SwitchTolerance)
                    {
                        if (offset > 0) missing += offset;
                        else repeated += -offset;
                        if (problems.Count < 50)
                            problems.Add($"received frame {f.Number}: switch {_names[previousSource]}[{previous}] -> {_names[f.Source]}[{f.Index}], expected index {expected}");
                    }
                }
                else if (f.Index != expected)
                {
                    int forward = ((f.Index - expected) % count + count) % count;
                    // A short step back is a repeat; a step forward is frames lost.
                    if (forward > count / 2 || f.Index == previous) repeated++;
                    else missing += forward;
                    if (problems.Count < 50) problems.Add($"received frame {f.Number}: source index {f.Index}, expected {expected}");
                }
            }
            previous = f.Index;
            previousSource = f.Source;
        }
        return new Report(frames.Count, missing, repeated, foreign, leading, first, problems)
        {
            Switches = switches,
            FirstSource = Math.Max(0, firstSource),
            SourceNames = _names,
        };
    }

    private static string Key(byte[] frame) => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(frame));
}
