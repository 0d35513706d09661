using System.Text.RegularExpressions;
using Davecast.Tests.Support;
using Xunit.Abstractions;
using static Davecast.Tests.Publisher.RawSourceClient;
using static Davecast.Tests.Publisher.RunningPublisher;

namespace Davecast.Tests.Publisher;

/// <summary>
/// The publisher's source port under a flood past each of its caps (--source-header-bytes, --source-header-timeout,
/// --source-max-pending), as a real process, while a source client streams: every frame still reaches the relay, and
/// /metrics at --metrics-listen counts each cap's refusals.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class SourcePortCapsTests(ITestOutputHelper output)
{
    private const int MaxPending = 4;

    [Fact]
    public async Task A_flood_past_every_cap_is_closed_and_counted_while_the_source_streams_every_frame_and_a_new_source_is_served()
    {
        using var audio = TestAudio.Cut("programme.aac", 4);
        await using var relay = FakeRelay.Start();
        int port = Ports.Free();
        int metricsPort = Ports.Free();
        using var publisher = new ChildProcess("publisher", "dotnet",
            [Repo.ProgramDll("publisher", "davecast-publisher"), "--mount", "live.aac", "--relay", relay.Address, "--transport", "tcp",
             "--listen-source", $"127.0.0.1:{port}", "--source-header-bytes", "2048", "--source-header-timeout", "1.5",
             "--source-max-pending", $"{MaxPending}", "--metrics-listen", $"{metricsPort}", "--stats-interval", "1"],
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });
        try
        {
            await publisher.WaitForOutputAsync("Waiting for an Icecast source client", TimeSpan.FromSeconds(20));
            var login = $"Authorization: {Basic("source", "hackme")}\r\nContent-Type: audio/aac\r\n";
            int half = audio.Frames.Count / 2;

            // The first source streams half the frames, about in real time, through the whole flood.
            using var first = await ConnectAsync(port);
            await first.SendAsync($"PUT /live.aac HTTP/1.1\r\n{login}\r\n");
            await first.ReadUntilAsync("200 OK\r\n\r\n");
            var streaming = Task.Run(async () =>
            {
                foreach (var chunk in audio.Frames.Take(half).Chunk(5))
                {
                    await first.SendAsync(chunk.SelectMany(f => f.Data).ToArray());
                    await Task.Delay(100);
                }
                first.EndBody();
            });

            // Its frames flowing show that its connection no longer holds a place among the pending ones.
            await Wait.UntilAsync(() => Audio(relay.Tcp).Count > 0, TimeSpan.FromSeconds(10), "the first source's frames");

            // A slowloris client and silent ones fill --source-max-pending; every connection past it is closed at once.
            var holders = new List<StrangerSocket>();
            for (int i = 0; i < MaxPending; i++) holders.Add(await StrangerSocket.ConnectAsync(port));
            var trickle = holders[0].TrickleAsync($"PUT /live.aac HTTP/1.1\r\n{login}{new string('x', 500)}", TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(15));
            // Its bytes flowing show that the port has taken up the holders.
            await Wait.UntilAsync(() => holders[0].Sent >= 5, TimeSpan.FromSeconds(10), "the slowloris client's first bytes");
            var refused = new List<StrangerSocket>();
            for (int i = 0; i < 10; i++) refused.Add(await StrangerSocket.ConnectAsync(port));
            foreach (var r in refused) Assert.True(await r.ClosedWithinAsync(TimeSpan.FromSeconds(10)), "a connection past --source-max-pending left open");
            Assert.All(refused, r => Assert.Equal("", r.Received));

            // The header timeout closes the holders, the trickling one too, though it never stopped sending.
            var (trickleClosed, trickled) = await trickle;
            Assert.True(trickleClosed, "the slowloris client was never closed");
            Assert.True(trickled > 10, $"the slowloris client sent only {trickled} bytes");
            foreach (var h in holders.Skip(1)) Assert.True(await h.ClosedWithinAsync(TimeSpan.FromSeconds(10)), "a silent connection left open");
            foreach (var s in holders.Concat(refused)) s.Dispose();

            // Every frame of the first source; once the flood is logged (its closed connections have long freed their places),
            // a new source is served and streams the rest.
            await streaming;
            await Wait.UntilAsync(() => Audio(relay.Tcp).Count == half, TimeSpan.FromSeconds(10), "every frame of the first source");
            await Wait.UntilAsync(() => Since() == 10 + MaxPending, TimeSpan.FromSeconds(10), "the flood's log line");
            using var second = await ConnectAsync(port);
            await second.SendAsync($"PUT /live.aac HTTP/1.1\r\n{login}\r\n");
            await second.ReadUntilAsync("200 OK\r\n\r\n");
            await second.SendAsync(audio.Frames.Skip(half).SelectMany(f => f.Data).ToArray());
            second.EndBody();
            await Wait.UntilAsync(() => Audio(relay.Tcp).Count == audio.Frames.Count, TimeSpan.FromSeconds(10), "every frame of the second source");

            var frames = Audio(relay.Tcp);
            Assert.Equal(Enumerable.Range(0, audio.Frames.Count).Select(i => (ulong)i), frames.Select(p => p.Sequence));
            Assert.Equal(audio.Frames.Select(f => f.Data), frames.Select(p => Assert.Single(p.Frames)));

            // A head over --source-header-bytes: 431, closed.
            using (var large = await StrangerSocket.ConnectAsync(port))
            {
                await large.SendAsync($"PUT /live.aac HTTP/1.1\r\nX-Junk: {new string('x', 3000)}\r\n\r\n");
                Assert.True(await large.ClosedWithinAsync(TimeSpan.FromSeconds(10)), "a head over --source-header-bytes left open");
                Assert.StartsWith("HTTP/1.0 431 ", large.Received);
            }

            // Logged once a --stats-interval with counts by reason, not once a connection.
            await Wait.UntilAsync(() => Since() == 15, TimeSpan.FromSeconds(10), "the refusals' log line");
            output.WriteLine(string.Join('\n', Lines()));
            Assert.Equal(10, CountOf("over --source-max-pending (4 connections not yet streaming)"));
            Assert.Equal(MaxPending, CountOf("with no whole request within --source-header-timeout (1.5 s)"));
            Assert.Equal(1, CountOf("with a request head over --source-header-bytes (2048 bytes)"));
            Assert.True(Lines().Count < 15, $"{Lines().Count} log lines for 15 connections");

            // /metrics on loopback (a port alone): the same counts by cap, every frame sent, and no connection left pending.
            Assert.Contains($"Metrics at http://127.0.0.1:{metricsPort}/metrics", publisher.Output);
            var metrics = await PrometheusText.ScrapeAsync($"http://127.0.0.1:{metricsPort}/metrics");
            Assert.Equal(10, Refused("max_pending"));
            Assert.Equal(MaxPending, Refused("header_timeout"));
            Assert.Equal(1, Refused("header_bytes"));
            Assert.Equal(audio.Frames.Count, metrics.Sum("davecast_publisher_frames_sent_total"));
            Assert.True(metrics.Sum("davecast_publisher_packets_sent_total", ("path", $"tcp {relay.Address}")) >= audio.Frames.Count);
            Assert.Equal(0, metrics.Sum("davecast_publisher_source_connections", ("state", "pending")));

            double Refused(string reason) => metrics.Sum("davecast_publisher_source_connections_refused_total", ("reason", reason));
        }
        catch
        {
            output.WriteLine(publisher.Output);
            throw;
        }

        List<string> Lines() => publisher.Output.Split('\n').Where(l => l.Contains("Source port (--listen-source): closed")).ToList();

        // The count of one reason over every line logged.
        int CountOf(string reason) => Lines().Sum(l => Regex.Match(l, @"(\d+) " + Regex.Escape(reason)) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0);

        int Since() => Lines().Select(l => int.Parse(SinceStart().Match(l).Groups[1].Value)).DefaultIfEmpty(0).Max();
    }

    [GeneratedRegex(@"(\d+) since start")]
    private static partial Regex SinceStart();
}
