using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Icecast;

/// <summary>
/// The real-peer helpers against the real peers: ffmpeg pushes the fixtures to icecast2 (PUT for ADTS and MP3, and
/// the legacy SOURCE method), an <see cref="IcyClient"/> reads each mount back, frame by frame, with the title set
/// through icecast2's admin interface.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class PeerHarnessTests(ITestOutputHelper output)
{
    // Seconds of audio at 38 (MP3) or 43 (AAC) frames/s on top of icecast2's 64 KiB burst.
    private const int MinFrames = 250;

    [Fact]
    public async Task Ffmpeg_pushes_to_icecast2_and_IcyClient_reads_every_frame_in_order_with_titles()
    {
        await using var icecast = await IcecastServer.StartAsync();
        var mounts = new (string Mount, string Fixture, bool Legacy)[]
        {
            ("/put.aac", "programme.aac", false),
            ("/put.mp3", "programme.mp3", false),
            ("/source.mp3", "programme.mp3", true),
        };
        var pushes = mounts.Select(m => FfmpegPush.Start(Repo.Fixture(m.Fixture), icecast.Port, m.Mount, icecast.Config.SourcePassword,
            legacy: m.Legacy, name: "Harness " + m.Mount)).ToList();
        var clients = new List<IcyClient>();
        string Logs() => $"===== icecast2 =====\n{icecast.Output}\n" + string.Join("\n", pushes.Select(p => $"===== {p.Process.Name} =====\n{p.Output}"));
        try
        {
            foreach (var m in mounts) await icecast.WaitForMountAsync(m.Mount, TimeSpan.FromSeconds(20));
            foreach (var m in mounts)
            {
                var client = await IcyClient.ConnectAsync(icecast.Url(m.Mount));
                clients.Add(client);
                Assert.True(client.StatusCode == 200, $"{m.Mount}: {client.RawHeaders}\n{Logs()}");
                Assert.Equal(m.Fixture.EndsWith(".aac") ? "audio/aac" : "audio/mpeg", client.Header("Content-Type"));
                Assert.Equal(icecast.Config.MetadataInterval, client.MetaInt);
                Assert.Equal("Harness " + m.Mount, client.Header("icy-name"));
            }
            // Titles set once audio flows land inside the audio (position >= 1), not before it.
            await Wait.UntilAsync(() => clients.All(c => c.Ended || c.AudioLength > 0), TimeSpan.FromSeconds(10), "audio on every mount");
            foreach (var m in mounts) await icecast.SetTitleAsync(m.Mount, $"Title of {m.Mount} ü");
            var continuity = mounts.Select(m => FrameContinuity.ForFile(Repo.Fixture(m.Fixture))).ToList();
            await Wait.UntilAsync(
                () => clients.Select((c, i) => c.Ended || (c.Titles.Any(t => t.Title == $"Title of {mounts[i].Mount} ü")
                    && continuity[i].Check(c.Audio()).Frames >= MinFrames)).All(done => done),
                TimeSpan.FromSeconds(30), $"the title and {MinFrames} frames on every mount");

            for (int i = 0; i < mounts.Length; i++)
            {
                var (mount, fixture, _) = mounts[i];
                var client = clients[i];
                Assert.False(client.Ended, $"{mount}: the stream ended: {client}\n{Logs()}");
                var report = PeerChecks.AssertFixtureRun(mount, client.Audio(), fixture, MinFrames, PeerChecks.IcecastLeadingBytes, Logs());
                var title = client.Titles.FirstOrDefault(t => t.Title == $"Title of {mount} ü");
                Assert.True(title is not null, $"{mount}: {PeerChecks.Describe(client)}; {client.MetadataBlocks} metadata blocks\n{Logs()}");
                Assert.InRange(title.AudioPosition, 1, client.AudioLength);
                output.WriteLine($"{mount}: {report}; {PeerChecks.Describe(client)}");
            }
        }
        catch
        {
            output.WriteLine(Logs());
            throw;
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
            foreach (var p in pushes) p.Dispose();
        }
    }

    /// <summary>
    /// The slow-listener pieces against icecast2, which drops a listener whose queue passes queue-size: an
    /// <see cref="IcyClient"/> that never reads (small receive buffer) is dropped and sees its connection closed,
    /// while a reading listener of the same mount keeps every frame.
    /// </summary>
    [Fact]
    public async Task A_listener_that_never_reads_is_dropped_by_icecast2_and_sees_the_close()
    {
        await using var icecast = await IcecastServer.StartAsync(new IcecastConfig { QueueSize = 65536, BurstSize = 16384 });
        using var push = FfmpegPush.Start(Repo.Fixture("programme.mp3"), icecast.Port, "/slow.mp3", icecast.Config.SourcePassword);
        string Logs() => $"===== icecast2 =====\n{icecast.Output}\n===== {push.Process.Name} =====\n{push.Output}";
        try
        {
            await icecast.WaitForMountAsync("/slow.mp3", TimeSpan.FromSeconds(20));
            await using var reader = await IcyClient.ConnectAsync(icecast.Url("/slow.mp3"));
            await using var stalled = await IcyClient.ConnectAsync(icecast.Url("/slow.mp3"),
                new IcyClientOptions { DoNotRead = true, ReceiveBufferSize = 1024, MaxSegmentSize = 88 });
            // 128 kbit/s fills icecast2's send buffer (small, for a small MSS) and 64 KiB of queue in under 10 s.
            await Wait.UntilAsync(() => icecast.Output.Contains("has fallen too far behind", StringComparison.Ordinal),
                TimeSpan.FromSeconds(40), "icecast2 to drop the listener that does not read\n" + Logs());
            Assert.True(await stalled.DrainUntilClosedAsync(TimeSpan.FromSeconds(10)),
                $"the stalled listener's connection stays open after {stalled.DrainedBytes} bytes\n{Logs()}");
            // The reading listener is still served after the drop: a further second of audio (128 kbit/s) reaches it.
            long atDrop = reader.AudioLength;
            await Wait.UntilAsync(() => reader.Ended || reader.AudioLength >= atDrop + 16_000, TimeSpan.FromSeconds(10), "audio after the drop");
            Assert.False(reader.Ended, $"the reading listener was dropped too: {reader}\n{Logs()}");
            var report = PeerChecks.AssertFixtureRun("reader", reader.Audio(), "programme.mp3", minFrames: 100, PeerChecks.IcecastLeadingBytes, Logs());
            output.WriteLine($"reader: {report}; stalled listener read {stalled.DrainedBytes} bytes after the drop");
        }
        catch
        {
            output.WriteLine(Logs());
            throw;
        }
    }
}
