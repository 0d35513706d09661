using System.Diagnostics;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Ingest;

/// <summary>
/// Real processes: a mount fed by an AAC 44100 Hz stereo publisher; a second publisher of the same mount sends AAC
/// at 48000 Hz. The mount refuses it, the relay tells it (a signed Refused packet on its paths), both say so in
/// their output, and the first encoder's frames still reach the edge complete.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class RefusalProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_publisher_with_other_codec_parameters_hears_it_is_refused_and_the_mount_goes_on()
    {
        const string mount = "refusal.aac";
        var dir = Directory.CreateTempSubdirectory("davecast-refusal-");
        await using var d = new Deployment();
        try
        {
            // ffmpeg encodes while the relay and the edge start: neither waits for the other.
            var at48k = Path.Combine(dir.FullName, "programme-48k.aac");
            var encoding = EncodeAsync(Repo.Fixture("programme.aac"), at48k);
            var starting = d.StartRelayAsync("relay-r");
            var edge = await d.StartEdgeAsync();
            var relay = await starting;
            d.StartPublisher("main", mount, Repo.Fixture("programme.aac"), priority: 100);
            await Wait.ForMountAsync(edge.Url(mount), TimeSpan.FromSeconds(30));
            await using var listener = new StreamRecorder();
            await listener.StartAsync(edge.Url(mount));

            // A higher priority: were it not refused, it would be elected.
            await encoding;
            var backup = d.StartPublisher("backup48", mount, at48k, priority: 200);
            await backup.WaitForOutputAsync($"refuses encoder backup48 on mount /{mount}: ", TimeSpan.FromSeconds(20));
            // Six seconds of refusals heard every second (the behaviour): one line in the log, the main encoder stays on the air.
            await Task.Delay(TimeSpan.FromSeconds(6));

            var told = Line(backup.Output, "refuses encoder backup48");
            output.WriteLine($"publisher: {told}");
            Assert.Contains($"Relay 127.0.0.1:{relay.IngestPort} refuses encoder backup48 on mount /{mount}:", told);
            Assert.Contains("48000 Hz", told);
            Assert.Contains("44100 Hz", told);
            // Once per 10 s per relay, though it hears it on UDP and TCP every second.
            Assert.Single(backup.Output.Split('\n'), l => l.Contains("refuses encoder backup48"));

            var relayLine = Line(relay.Process.Output, "that it is refused");
            output.WriteLine($"relay: {relayLine}");
            Assert.Contains("backup48", relayLine);
            Assert.Contains("48000 Hz", relayLine);

            FrameContinuity.ForFile(Repo.Fixture("programme.aac")).AssertPerfect(listener.Bytes(), output, "main encoder at the edge", moreThan: 200);
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Line(string text, string containing) =>
        text.Split('\n').FirstOrDefault(l => l.Contains(containing)) ?? throw new Xunit.Sdk.XunitException($"no line with '{containing}' in:\n{text}");

    // The fixture's programme again, resampled to 48000 Hz: AAC-LC stereo like the mount, but another sample rate.
    private static async Task EncodeAsync(string from, string to)
    {
        var psi = new ProcessStartInfo(ExternalTools.Require("ffmpeg")) { RedirectStandardError = true };
        foreach (var a in new[] { "-nostdin", "-v", "error", "-y", "-i", from, "-t", "10", "-ar", "48000", "-c:a", "aac", "-b:a", "48k", "-f", "adts", to })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var errors = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"ffmpeg: {errors}");
    }
}
