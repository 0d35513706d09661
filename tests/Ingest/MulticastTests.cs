using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Ingest;

/// <summary>
/// Real processes: a relay silo that joined a multicast group on loopback and is fed ONLY by multicast from a
/// publisher (no --relay at all), an edge, and an HTTP listener checked frame by frame against the fixture.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class MulticastTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_relay_fed_only_by_multicast_gives_the_edge_every_frame_in_order()
    {
        const string mount = "multicast.aac";
        string group = $"239.255.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}:{Ports.Free()}";
        await using var d = new Deployment();
        try
        {
            var starting = d.StartRelayAsync("relay-m", "--multicast", group, "--multicast-interface", "127.0.0.1");
            var edge = await d.StartEdgeAsync();
            var relay = await starting;
            var publisher = d.StartPublisher("studio", mount, Repo.Fixture("programme.aac"), priority: 100, to: [],
                "--multicast", group, "--multicast-interface", "127.0.0.1");

            await Wait.ForMountAsync(edge.Url(mount), TimeSpan.FromSeconds(30));
            await using var listener = new StreamRecorder();
            await listener.StartAsync(edge.Url(mount));
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.aac"));
            await Wait.UntilAsync(() => continuity.Check(listener.Bytes()).Frames > 350, TimeSpan.FromSeconds(30), "350 frames at the listener");

            // Over 8 s at 43 frames/s.
            continuity.AssertPerfect(listener.Bytes(), output, "multicast only", moreThan: 350);

            // The publisher had one path, multicast group 0 (path id 2); the relay took no TCP connection.
            Assert.Contains($"2 multicast {group}", publisher.Output);
            Assert.Contains($"joined multicast group {group}", relay.Process.Output);
            Assert.DoesNotContain("Publisher connected over TCP", relay.Process.Output);
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }
}
