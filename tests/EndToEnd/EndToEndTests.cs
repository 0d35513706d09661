using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// The whole path as separate real processes: publisher -> two relay silos (UDP and TCP to each) -> edge -> an
/// HTTP listener, checked frame by frame against the fixture.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class EndToEndTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("programme.aac")]
    [InlineData("programme.mp3")]
    public async Task Listener_receives_every_fixture_frame_in_order_through_two_relays(string fixture)
    {
        ExternalTools.Require("ffmpeg");
        await using var d = new Deployment();
        try
        {
            await d.StartRelayAsync("relay-a");
            var relayB = d.StartRelayAsync("relay-b");
            var edge = await d.StartEdgeAsync();
            await relayB;
            d.StartPublisher("studio", fixture, Repo.Fixture(fixture), priority: 100);

            await using var listener = new StreamRecorder();
            var response = await Wait.ForMountAsync(edge.Url(fixture), TimeSpan.FromSeconds(60));
            Assert.Equal(fixture.EndsWith(".aac") ? "audio/aac" : "audio/mpeg", response);
            var stream = await listener.StartAsync(edge.Url(fixture));
            // As Icecast sends it: HTTP/1.0, raw body (no chunked encoding), Icecast's headers.
            Assert.Equal(new Version(1, 0), stream.Version);
            Assert.NotEqual(true, stream.Headers.TransferEncodingChunked);
            Assert.Contains("samplerate=44100", string.Join(",", stream.Headers.GetValues("ice-audio-info")));
            var continuity = FrameContinuity.ForFile(Repo.Fixture(fixture));
            await Wait.UntilAsync(() => continuity.Check(listener.Bytes()).Frames > 400, TimeSpan.FromSeconds(30), "400 frames at the listener");

            var audio = listener.Bytes();
            var report = continuity.Check(audio);
            output.WriteLine($"{fixture}: {report}; {audio.Length} bytes; longest silence {listener.LongestSilence(TimeSpan.FromSeconds(1)).TotalMilliseconds:F0} ms");
            Assert.True(report.Perfect, report.ToString());
            // About 10 s at ~38-43 frames/s, with the start burst: the stream really flowed.
            Assert.True(report.Frames > 400, $"only {report.Frames} frames");

            var (exit, errors) = await Decoder.DecodeAsync(Decoder.WholeFrames(audio), fixture.EndsWith(".aac") ? "aac" : "mp3");
            Assert.True(exit == 0 && errors.Length == 0, $"ffmpeg: exit {exit}: {errors}");
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    [Fact]
    public async Task Unknown_mount_is_404()
    {
        await using var d = new Deployment();
        try
        {
            await d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync();
            using var http = new HttpClient();
            var response = await http.GetAsync(edge.Url("no-such-mount.mp3"));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }
}
