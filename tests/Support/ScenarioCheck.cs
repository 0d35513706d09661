using System.Globalization;
using System.Text;

namespace Davecast.Tests.Support;

/// <summary>
/// Checks one listener's recording of a failover scenario: frame by frame against the source
/// (<see cref="FrameContinuity"/>), and in time against its arrivals: longest silence between two arrivals,
/// and the most the listener fell behind (max lateness). Faults are marked on the recorder's clock
/// (<see cref="Mark"/>) so that what happened after each one can be measured.
/// <para>
/// Lateness at an arrival time t (since the request was sent) is t - D(t), where D(t) is the media duration of
/// the whole frames received by t. A player that starts at once runs dry exactly when lateness exceeds 0; the
/// start burst puts the listener ahead (negative lateness), and it must stay ahead. <see cref="Result.LeadUsed"/>
/// tells how much of that lead a fault consumed (the largest rise of lateness over its lowest earlier value).
/// </para>
/// </summary>
public sealed class ScenarioCheck(string scenario, FrameContinuity continuity)
{
    private readonly List<(string What, TimeSpan At)> _marks = [];

    public string Scenario { get; } = scenario;

    /// <summary>Arrivals before this are left out of the lateness figure (the start burst is still arriving).</summary>
    public TimeSpan LatenessFrom { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Faults are looked at for this long after they happen (gap, switch).</summary>
    public TimeSpan SwitchWindow { get; init; } = TimeSpan.FromSeconds(15);

    public IReadOnlyList<(string What, TimeSpan At)> Marks => _marks;

    /// <summary>Notes a fault (or another event) at <paramref name="at"/> on the recorder's clock.</summary>
    public void Mark(string what, TimeSpan at) => _marks.Add((what, at));

    public void Mark(string what, StreamRecorder recorder) => Mark(what, recorder.Elapsed);

    public Result Analyze(StreamRecorder recorder) => Analyze(recorder.Bytes(), recorder.Arrivals(), recorder.Elapsed);

    public Result Analyze(byte[] bytes, IReadOnlyList<(TimeSpan At, long Bytes)> arrivals, TimeSpan end)
    {
        var report = continuity.Check(bytes);
        var frames = continuity.Identify(bytes, out _);

        // When each whole frame had fully arrived.
        var frameAt = new TimeSpan[frames.Count];
        int a = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            while (a < arrivals.Count && arrivals[a].Bytes < frames[i].End) a++;
            frameAt[i] = a < arrivals.Count ? arrivals[a].At : end;
        }

        // Lateness at every arrival: t - media received by t.
        double media = 0;
        int f = 0;
        double maxLateness = double.NegativeInfinity, lowest = double.PositiveInfinity, leadUsed = 0;
        TimeSpan maxLatenessAt = TimeSpan.Zero;
        foreach (var (at, total) in arrivals)
        {
            while (f < frames.Count && frames[f].End <= total) media += frames[f++].DurationSeconds;
            if (at < LatenessFrom) continue;
            double lateness = at.TotalSeconds - media;
            if (lateness > maxLateness)
            {
                maxLateness = lateness;
                maxLatenessAt = at;
            }
            lowest = Math.Min(lowest, lateness);
            leadUsed = Math.Max(leadUsed, lateness - lowest);
        }

        var longestSilence = TimeSpan.Zero;
        TimeSpan longestSilenceEnd = TimeSpan.Zero;
        for (int i = 1; i < arrivals.Count; i++)
        {
            if (arrivals[i].At < LatenessFrom) continue;
            var gap = arrivals[i].At - arrivals[i - 1].At;
            if (gap > longestSilence)
            {
                longestSilence = gap;
                longestSilenceEnd = arrivals[i].At;
            }
        }

        var faults = new List<FaultFigures>();
        foreach (var (what, at) in _marks)
        {
            // The longest pause in arrivals that ends within the window after the fault.
            var gap = TimeSpan.Zero;
            for (int i = 1; i < arrivals.Count; i++)
            {
                if (arrivals[i].At < at || arrivals[i].At > at + SwitchWindow) continue;
                gap = Max(gap, arrivals[i].At - Max(arrivals[i - 1].At, at));
            }
            // With two sources: the first frame of the other source that arrived after the fault.
            TimeSpan? switchAfter = null;
            string? switchNote = null;
            int before = Array.FindLastIndex(frameAt, t => t <= at);
            int sourceBefore = before >= 0 ? frames[before].Source : -1;
            if (sourceBefore >= 0)
            {
                for (int i = before + 1; i < frames.Count && frameAt[i] <= at + SwitchWindow; i++)
                {
                    if (frames[i].Source < 0 || frames[i].Source == sourceBefore) continue;
                    switchAfter = frameAt[i] - at;
                    var sw = report.Switches.FirstOrDefault(s => s.ReceivedFrame == frames[i].Number);
                    switchNote = sw is null ? null : report.Describe(sw);
                    break;
                }
            }
            faults.Add(new FaultFigures(what, at, gap, switchAfter, switchNote, end - at));
        }

        return new Result(Scenario, report, arrivals.Count == 0 ? TimeSpan.Zero : arrivals[^1].At, longestSilence, longestSilenceEnd,
            double.IsNegativeInfinity(maxLateness) ? TimeSpan.Zero : TimeSpan.FromSeconds(maxLateness), maxLatenessAt,
            TimeSpan.FromSeconds(leadUsed), faults, bytes.LongLength);
    }

    private static TimeSpan Max(TimeSpan x, TimeSpan y) => x > y ? x : y;

    /// <summary>What a listener saw after one fault.</summary>
    /// <param name="Gap">Longest pause in arrivals within the window after the fault.</param>
    /// <param name="SwitchAfter">Two sources: from the fault to the arrival of the other source's first frame.</param>
    /// <param name="RecordedAfter">How long the recording went on after the fault.</param>
    public sealed record FaultFigures(string What, TimeSpan At, TimeSpan Gap, TimeSpan? SwitchAfter, string? SwitchNote, TimeSpan RecordedAfter);

    public sealed record Result(
        string Scenario,
        FrameContinuity.Report Frames,
        TimeSpan Duration,
        TimeSpan LongestSilence,
        TimeSpan LongestSilenceEnd,
        TimeSpan MaxLateness,
        TimeSpan MaxLatenessAt,
        TimeSpan LeadUsed,
        IReadOnlyList<FaultFigures> Faults,
        long Bytes)
    {
        /// <summary>0 missing, 0 repeated, 0 foreign, no garbage, and the listener never ran dry.</summary>
        public bool Passed => Frames.Perfect && MaxLateness < TimeSpan.Zero && Frames.Frames > 0;

        public const string Header =
            "| scenario | frames checked | missing | repeated | foreign | longest silence | max lateness | lead used | time to switch (per fault: pause; switch) |\n"
            + "|---|---:|---:|---:|---:|---:|---:|---:|---|";

        /// <summary>A row of the closing-note table.</summary>
        public override string ToString() =>
            $"| {Scenario} | {Frames.Frames} | {Frames.Missing} | {Frames.Repeated} | {Frames.Foreign} | {Ms(LongestSilence)} | "
            + $"{Ms(MaxLateness)} | {Ms(LeadUsed)} | "
            + (Faults.Count == 0 ? "-" : string.Join("; ", Faults.Select(f => $"{f.What}: pause {Ms(f.Gap)}" + (f.SwitchAfter is { } s ? $", switch {Ms(s)}" : ""))))
            + " |";

        /// <summary>Everything measured, for the test output.</summary>
        public string Details()
        {
            var sb = new StringBuilder();
            sb.AppendLine($"{Scenario}: {(Passed ? "PASS" : "FAIL")}: {Frames}");
            sb.AppendLine($"  recorded {Duration.TotalSeconds:F1} s, {Bytes} bytes; longest silence {Ms(LongestSilence)} ending at {Sec(LongestSilenceEnd)}; "
                + $"max lateness {Ms(MaxLateness)} at {Sec(MaxLatenessAt)}; lead used {Ms(LeadUsed)}");
            foreach (var f in Faults)
                sb.AppendLine($"  {f.What} at {Sec(f.At)}: longest pause after it {Ms(f.Gap)}"
                    + (f.SwitchAfter is { } s ? $"; other source's first frame after {Ms(s)}" : "")
                    + (f.SwitchNote is { } n ? $" ({n})" : "")
                    + $"; recorded {f.RecordedAfter.TotalSeconds:F1} s after it");
            return sb.ToString();
        }

        private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:F0} ms");

        private static string Sec(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:F2} s");
    }
}
