using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// The edge's port flooded past its caps (--header-timeout, --max-connections, --max-connections-per-address) by
/// strangers on other loopback addresses, while a listener keeps every frame; the refusals are counted in /metrics
/// by reason, and a new listener is served once the flood is gone.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class EdgeConnectionCapsTests(ITestOutputHelper output)
{
    private const string Mount = "caps.mp3";
    private const int MaxConnections = 40;
    private const int PerAddress = 5;

    // programme.mp3: about 38 frames a second; half a second more after the flood.
    private const int FramesPerSecond = 38;

    [Fact]
    public async Task Connections_past_each_cap_are_closed_and_counted_by_reason_while_a_listener_keeps_every_frame()
    {
        await using var d = new Deployment();
        var strangers = new List<StrangerSocket>();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync("--header-timeout", "1.5", "--max-connections", $"{MaxConnections}",
                "--max-connections-per-address", $"{PerAddress}");
            await relay;
            d.StartPublisher("studio", Mount, Repo.Fixture("programme.mp3"), priority: 100);
            await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(60));
            await using var listener = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: true);
            Assert.Equal("HTTP/1.0 200 OK", listener.StatusLine);
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.mp3"));
            await ListenerWait.ForMoreFramesAsync(continuity, listener.Audio, 5, TimeSpan.FromSeconds(20), "before the flood", () => listener.Closed);

            // One address opens 8 connections and keeps them silent: 5 are held until the header timeout, 3 closed at once.
            var one = new List<StrangerSocket>();
            for (int i = 0; i < PerAddress + 3; i++) one.Add(await StrangerSocket.ConnectAsync(edge.Port, "127.0.0.2"));
            strangers.AddRange(one);
            var oneClosed = one.Select(s => s.ClosedWithinAsync(TimeSpan.FromSeconds(15))).ToList();
            await Wait.UntilAsync(() => oneClosed.Count(t => t.IsCompleted) >= 3, TimeSpan.FromSeconds(10), "the connections past the address's cap to close");

            // A slowloris client is closed by the header timeout, though it never stops sending.
            var slow = await StrangerSocket.ConnectAsync(edge.Port, "127.0.0.3");
            strangers.Add(slow);
            var trickle = slow.TrickleAsync($"GET /{Mount} HTTP/1.1\r\nHost: x\r\nX-Pad: {new string('x', 500)}", TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(15));

            // Ten more addresses, each within its cap, fill the edge: what is past --max-connections is closed at once.
            var many = new List<StrangerSocket>();
            for (int a = 10; a < 20; a++)
                for (int i = 0; i < PerAddress; i++) many.Add(await StrangerSocket.ConnectAsync(edge.Port, $"127.0.0.{a}"));
            strangers.AddRange(many);

            // Every stranger is closed, the held ones by the header timeout; no byte was answered to any.
            foreach (var s in one.Concat(many)) Assert.True(await s.ClosedWithinAsync(TimeSpan.FromSeconds(15)), "a stranger's connection left open");
            Assert.All(oneClosed, t => Assert.True(t.Result));
            var (trickled, sent) = await trickle;
            Assert.True(trickled, "the slowloris client was never closed");
            Assert.True(sent > 10, $"the slowloris client sent only {sent} bytes");
            Assert.All(strangers, s => Assert.Equal("", s.Received));
            foreach (var s in strangers) s.Dispose();

            var metrics = await PrometheusText.ScrapeAsync($"http://127.0.0.1:{edge.Port}/metrics");
            double perAddress = metrics.Sum("davecast_edge_connections_closed_total", ("reason", "max_per_address"));
            double full = metrics.Sum("davecast_edge_connections_closed_total", ("reason", "max_connections"));
            double timedOut = metrics.Sum("davecast_edge_connections_closed_total", ("reason", "header_timeout"));
            output.WriteLine($"closed: {perAddress} max_per_address, {full} max_connections, {timedOut} header_timeout; open now {metrics.Sum("davecast_edge_connections")}");
            Assert.Equal(3, perAddress);
            // At most 40 - 1 listener - 5 - 1 slowloris of the 50 could be held.
            Assert.True(full >= 50 - (MaxConnections - 7), $"{full} closed by --max-connections");
            // Every other stranger was held until the header timeout.
            Assert.Equal(PerAddress + 1 + many.Count, full + timedOut);

            // A new listener is served, and the first one kept every frame through the flood.
            await using var late = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: false);
            Assert.Equal("HTTP/1.0 200 OK", late.StatusLine);
            await ListenerWait.ForMoreFramesAsync(continuity, listener.Audio, FramesPerSecond / 2, TimeSpan.FromSeconds(20), "after the flood", () => listener.Closed);
            await Wait.UntilAsync(() => late.AudioLength > 0, TimeSpan.FromSeconds(10), "the new listener's audio");
            var report = continuity.Check(listener.Audio());
            output.WriteLine($"listener: {report}");
            Assert.True(report.Perfect, report.ToString());
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
        finally
        {
            foreach (var s in strangers) s.Dispose();
        }
    }
}
