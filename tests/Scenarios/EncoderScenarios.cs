using System.Diagnostics;
using Davecast.Frames;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Scenarios;

/// <summary>
/// Promises 2, 3 and 4 with real processes: the live encoder dies (SIGKILL) and the backup's frames are spliced in
/// (exactly when they are the same frames, within one frame's duration when the encoders are independent); a
/// returning preferred encoder is live again after the hold time; every edge emits the same frames.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class EncoderScenarios(ITestOutputHelper output)
{
    /// <summary>A common --start-at a few seconds ahead (the publishers' start-up is slow on two cores), or null if the publisher lacks it.</summary>
    public static DateTimeOffset? StartAt() => Deployment.PublisherHasOption("--start-at") ? Deployment.SecondsFromNow(5) : null;

    [Fact]
    public async Task EncoderKill_same_frames_exact_splice_and_preferred_encoder_returns()
    {
        await using var s = await ScenarioHost.StartAsync("EncoderKill", output);
        await s.RunAsync(async () =>
        {
            var relays = await s.StartRelaysAsync(2);
            int[] ingest = [relays[0].IngestPort, relays[1].IngestPort];
            var startAt = StartAt();
            s.Log(startAt is null ? "the publisher has no --start-at: publishers start at once" : $"publishers --start-at {startAt:O}");
            var main = s.D.StartPublisherTo("main", ScenarioHost.Mount, ScenarioHost.Fixture, 200, ingest, startAt);
            s.D.StartPublisherTo("backup", ScenarioHost.Mount, ScenarioHost.Fixture, 100, ingest, startAt);
            var edge = (await s.StartEdgesAsync(1))[0];
            var listener = (await s.ListenAsync(edge))[0];
            var check = new ScenarioCheck("EncoderKill", FrameContinuity.ForFile(ScenarioHost.Fixture));
            var liveAtStart = await EdgeHealth.LiveAsync(edge, ScenarioHost.Mount);
            s.Log($"live encoder: {liveAtStart ?? "(not exposed)"}");
            await s.RunForAsync(ScenarioHost.BeforeFault, edge, listener);
            var live = await EdgeHealth.LiveAsync(edge, ScenarioHost.Mount);
            if (live is not null) Assert.Equal("main", live);

            check.Mark("kill -9 main", listener);
            main.Kill9();
            s.Log("killed the live encoder (main, priority 200)");
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);
            live = await EdgeHealth.LiveAsync(edge, ScenarioHost.Mount);
            s.Log($"live encoder 20 s after the kill: {live ?? "(not exposed)"}");
            if (live is not null) Assert.Equal("backup", live);

            check.Mark("restart main", listener);
            var restartedAt = Stopwatch.StartNew();
            s.D.StartPublisherTo("main", ScenarioHost.Mount, ScenarioHost.Fixture, 200, ingest, startAt);
            s.Log("main restarted" + (startAt is null ? "" : " with the same --start-at (it joins the programme where it is now)"));
            TimeSpan? liveAgain = null;
            if (live is not null)
            {
                liveAgain = await ScenarioHost.PollAsync(async () => await EdgeHealth.LiveAsync(edge, ScenarioHost.Mount) == "main", TimeSpan.FromSeconds(45));
                s.Log(liveAgain is { } t ? $"main elected live again {t.TotalSeconds:F1} s after its restart (hold time 10 s)" : "main NOT live again within 45 s of its restart");
                if (liveAgain is not null) check.Mark("main elected again", listener);
            }
            // The planned switch happens a little later, at a media time every edge reaches after hearing of it.
            var playing = await ScenarioHost.PollAsync(async () => await EdgeHealth.PlayingAsync(edge, ScenarioHost.Mount) == "main", TimeSpan.FromSeconds(15));
            if (playing is { } p)
            {
                check.Mark("edge plays main again", listener);
                s.Log($"edge-1 plays main again {p.TotalSeconds:F1} s after the election");
            }
            await s.RunForAsync(TimeSpan.FromSeconds(playing is null ? 15 : 8), edge, listener);

            var result = check.Analyze(listener);
            s.Report(result, $"main live again {(liveAgain is { } l ? $"{l.TotalSeconds:F1} s" : "(not seen)")} after its restart\n"
                + await EdgeHealth.SummaryAsync(edge, ScenarioHost.Mount));
            ScenarioHost.AssertHitless(result, listener);
            if (live is not null) Assert.True(liveAgain is not null, "main was not elected live again within 45 s of its restart");
        });
    }

    [Fact]
    public async Task IndependentEncoders_splice_within_one_frame_of_programme_position()
    {
        ExternalTools.Require("ffmpeg");
        var dir = Directory.CreateTempSubdirectory("davecast-encodings-").FullName;
        try
        {
            var (hi, lo) = await TwoEncodingsAsync(dir);
            await using var s = await ScenarioHost.StartAsync("IndependentEncoders", output);
            await s.RunAsync(async () =>
            {
                var startAt = StartAt();
                Assert.True(startAt is not null, "the publisher has no --start-at: independent encoders cannot be aligned");
                var continuity = FrameContinuity.ForFiles(hi, lo);
                s.Log($"{Path.GetFileName(hi)} and {Path.GetFileName(lo)}: {FrameFile.ReadAll(hi).Count} frames each");

                var relays = await s.StartRelaysAsync(2);
                int[] ingest = [relays[0].IngestPort, relays[1].IngestPort];
                var enc64 = s.D.StartPublisherTo("enc-64k", ScenarioHost.Mount, hi, 200, ingest, startAt);
                s.D.StartPublisherTo("enc-32k", ScenarioHost.Mount, lo, 100, ingest, startAt);
                var edges = await s.StartEdgesAsync(2);
                var listeners = await s.ListenAsync(edges);
                var checks = edges.Select(e => new ScenarioCheck($"IndependentEncoders ({e.Name})", continuity)).ToArray();
                await s.RunForAsync(ScenarioHost.BeforeFault, edges[0], listeners);

                foreach (var (c, l) in checks.Zip(listeners)) c.Mark("kill -9 enc-64k", l);
                enc64.Kill9();
                s.Log("killed the live encoder (enc-64k, priority 200); enc-32k is an independent encoding of the same programme");
                await s.RunForAsync(ScenarioHost.AfterFault, edges[0], listeners);

                var results = checks.Zip(listeners).Select(x => x.First.Analyze(x.Second)).ToArray();
                foreach (var r in results) s.Report(r);
                var agreement = FrameSequences.Compare(listeners[0].Bytes(), listeners[1].Bytes());
                s.Log($"{edges[0].Name} vs {edges[1].Name}: {agreement}");
                for (int i = 0; i < results.Length; i++)
                {
                    ScenarioHost.AssertHitless(results[i], listeners[i]);
                    var last = results[i].Frames.Switches.LastOrDefault();
                    Assert.True(last is not null && last.ToSource == 1, $"{edges[i].Name}: the listener never switched to enc-32k's frames");
                    Assert.True(Math.Abs(last.Offset) <= 1, $"{edges[i].Name}: {results[i].Frames.Describe(last)}");
                }
                Assert.True(agreement.Identical, $"the two edges' frames differ: {agreement}");
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task TwoEdges_emit_byte_identical_frames_through_an_encoder_failover()
    {
        await using var s = await ScenarioHost.StartAsync("TwoEdges", output);
        await s.RunAsync(async () =>
        {
            var relays = await s.StartRelaysAsync(2);
            int[] ingest = [relays[0].IngestPort, relays[1].IngestPort];
            var startAt = StartAt();
            var main = s.D.StartPublisherTo("main", ScenarioHost.Mount, ScenarioHost.Fixture, 200, ingest, startAt);
            s.D.StartPublisherTo("backup", ScenarioHost.Mount, ScenarioHost.Fixture, 100, ingest, startAt);
            var edges = await s.StartEdgesAsync(2);
            var listeners = await s.ListenAsync(edges);
            var checks = edges.Select(e => new ScenarioCheck($"TwoEdges ({e.Name})", FrameContinuity.ForFile(ScenarioHost.Fixture))).ToArray();
            await s.RunForAsync(ScenarioHost.BeforeFault, edges[0], listeners);

            foreach (var (c, l) in checks.Zip(listeners)) c.Mark("kill -9 main", l);
            main.Kill9();
            s.Log("killed the live encoder (main, priority 200)");
            await s.RunForAsync(ScenarioHost.AfterFault, edges[0], listeners);

            var results = checks.Zip(listeners).Select(x => x.First.Analyze(x.Second)).ToArray();
            foreach (var r in results) s.Report(r);
            var agreement = FrameSequences.Compare(listeners[0].Bytes(), listeners[1].Bytes());
            s.Log($"{edges[0].Name} vs {edges[1].Name}: {agreement}");
            for (int i = 0; i < results.Length; i++) ScenarioHost.AssertHitless(results[i], listeners[i]);
            Assert.True(agreement.Identical, $"the two edges' frames differ: {agreement}");
            // The overlap covers the failover: both recordings ran through it.
            Assert.True(agreement.Overlap > results.Min(r => r.Frames.Frames) * 9 / 10, $"the recordings overlap too little: {agreement}");
        });
    }

    /// <summary>
    /// Two independent AAC encodings (64 and 32 kbps, 44100 Hz stereo) of the fixture's decoded audio. Both are made
    /// of 1024-sample frames of the same samples, so frame i of one covers the same programme time as frame i of the other.
    /// </summary>
    private static async Task<(string Hi, string Lo)> TwoEncodingsAsync(string dir)
    {
        var wav = Path.Combine(dir, "programme.wav");
        var hi = Path.Combine(dir, "programme-64k.aac");
        var lo = Path.Combine(dir, "programme-32k.aac");
        await FfmpegAsync("-i", ScenarioHost.Fixture, "-f", "wav", wav);
        foreach (var (file, rate) in new[] { (hi, "64k"), (lo, "32k") })
            await FfmpegAsync("-i", wav, "-c:a", "aac", "-profile:a", "aac_low", "-b:a", rate, "-ar", "44100", "-ac", "2",
                "-fflags", "+bitexact", "-flags:a", "+bitexact", "-threads", "1", "-f", "adts", file);
        int a = FrameFile.ReadAll(hi).Count, b = FrameFile.ReadAll(lo).Count;
        if (a != b) throw new InvalidOperationException($"the two encodings have {a} and {b} frames: their loops would not stay aligned");
        return (hi, lo);
    }

    private static async Task FfmpegAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(ExternalTools.Require("ffmpeg")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-nostdin", "-hide_banner", "-v", "error", "-y" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var errors = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg {string.Join(' ', args)}: exit {p.ExitCode}: {errors}");
    }
}
