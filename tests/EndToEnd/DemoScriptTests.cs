using System.Net.Sockets;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// The README's first command, run for real: ./demo.sh runs two sites, serves the fixture frame-exact through the
/// SIGKILL of relay-a (relay-b, in its own cluster, lives on; the demo says so and starts relay-a again), goes on when
/// a part stops, and stops on SIGTERM. ./demo.sh failover walks through the failovers and prints the edge's counters.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class DemoScriptTests(ITestOutputHelper output)
{
    // programme.aac: 44.1 kHz AAC, 1024 samples a frame, about 43 frames a second.
    private const int FramesPerSecond = 43;

    [Fact]
    public async Task Demo_serves_the_fixture_frame_exact_through_a_relay_kill_restarts_what_stopped_and_stops_on_sigterm()
    {
        ExternalTools.Require("ffmpeg");
        ExternalTools.Require("curl");
        int portBase = FreeBase();
        using var demo = StartDemo(portBase);
        try
        {
            await demo.WaitForOutputAsync("Listen: ", TimeSpan.FromSeconds(180));
            var lines = demo.Output.Split('\n');
            var listen = lines.First(l => l.StartsWith("Listen: ")).Split(' ', 2)[1].Trim();
            var dashboard = lines.First(l => l.StartsWith("Dashboard: ")).Split(' ', 2)[1].Trim();
            var health = lines.First(l => l.StartsWith("Edge health: ")).Split(' ', 3)[2].Trim();
            var pids = System.Text.RegularExpressions.Regex.Match(demo.Output, @"Relays: relay-a pid (\d+), relay-b pid (\d+)");
            Assert.True(pids.Success, "demo.sh names no relay pids");
            int relayA = int.Parse(pids.Groups[1].Value), relayB = int.Parse(pids.Groups[2].Value);
            // The walkthrough's dashboard ports (8080 and 8081 with the default base), and the commands for each part.
            Assert.Equal($"http://127.0.0.1:{portBase + 80}/", dashboard);
            foreach (var command in new[] { "./demo.sh kill relay-a", "./demo.sh stop publisher-main", "./demo.sh start publisher-main" })
                Assert.Contains(command, demo.Output);

            using (var http = new HttpClient())
            {
                // The dashboard asks for the relay's admin credentials (the development defaults in the demo).
                Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(dashboard)).StatusCode);
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:hackme"u8));
                Assert.True((await http.GetAsync(dashboard)).IsSuccessStatusCode, "dashboard does not answer");
            }

            // Two sites, each its own cluster: the edge takes frames from a relay of each.
            var followed = await SitesFollowedAsync(health, TimeSpan.FromSeconds(30));
            Assert.Equal(["a", "b"], followed);
            // The edge has a name of its own (not the machine's), as the relays' mount health shows it.
            using (var http = new HttpClient())
            using (var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(health)))
                Assert.Equal("edge", doc.RootElement.GetProperty("edge").GetString());

            await using var listener = new StreamRecorder();
            var response = await listener.StartAsync(listen);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("audio/aac", response.Content.Headers.ContentType?.MediaType);
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.aac"));
            await ListenerWait.ForFramesAsync(continuity, listener.Bytes, 3 * FramesPerSecond, TimeSpan.FromSeconds(20), "before the kill", () => listener.Ended);
            // demo.sh starts again only a relay that ran 10 s (a crash loop otherwise; it counts whole seconds).
            var relayAStarted = System.Diagnostics.Process.GetProcessById(relayA).StartTime;
            await Wait.UntilAsync(() => DateTime.Now - relayAStarted > TimeSpan.FromSeconds(11), TimeSpan.FromSeconds(30), "relay-a to have run 11 s");
            // relay-a dies at once, by a kill -9 from outside the demo. relay-b's cluster is its own, so it lives on
            // (with one cluster on relay-a's development membership table it had to terminate), and the stream goes
            // on from it.
            Assert.Equal(0, Posix.Kill(relayA, Posix.SIGKILL));
            await demo.WaitForOutputAsync($"demo.sh: relay-a stopped (pid {relayA}, killed by signal 9)", TimeSpan.FromSeconds(10));
            // Nine seconds of the programme after the kill, which the listener hears as they are played.
            await ListenerWait.ForMoreFramesAsync(continuity, listener.Bytes, 9 * FramesPerSecond, TimeSpan.FromSeconds(40), "after the kill", () => listener.Ended);
            Assert.True(Posix.Kill(relayB, 0) == 0, "relay-b stopped when relay-a was killed");
            await demo.WaitForOutputAsync("demo.sh: relay-a started again", TimeSpan.FromSeconds(15));
            Assert.False(demo.HasExited, "demo.sh stopped when relay-a was killed");
            // relay-a is back: the edge follows its feed again, and the listener still hears the programme.
            await Wait.UntilAsync(() => FeedConnectedAsync(health, "relay-a"), TimeSpan.FromSeconds(60), "the edge to follow relay-a again");
            await ListenerWait.ForMoreFramesAsync(continuity, listener.Bytes, 2 * FramesPerSecond, TimeSpan.FromSeconds(20), "after relay-a came back", () => listener.Ended);
            var audio = listener.Bytes();
            var report = continuity.Check(audio);
            output.WriteLine($"demo: {report}, {audio.Length} bytes");
            Assert.True(report.Perfect, report.ToString());
            // 12 s at 43 frames/s (516), less start-up slack; a demo that just started has little to burst.
            Assert.True(report.Frames > 400, $"only {report.Frames} frames");
            var (exit, errors) = await Decoder.DecodeAsync(Decoder.WholeFrames(audio), "aac");
            Assert.True(exit == 0 && errors.Length == 0, $"ffmpeg: exit {exit}: {errors}");

            // The printed command kills the main publisher; the demo says so and starts it again, and the backup
            // carries the stream meanwhile.
            using (var kill = new ChildProcess("demo.sh kill", "bash", [Path.Combine(Repo.Root, "demo.sh"), "kill", "publisher-main"]))
            {
                Assert.Equal(0, await kill.WaitForExitAsync(TimeSpan.FromSeconds(10)));
                Assert.Contains("killed publisher-main", kill.Output);
            }
            await demo.WaitForOutputAsync("demo.sh: publisher-main stopped (pid ", TimeSpan.FromSeconds(10));
            await demo.WaitForOutputAsync("demo.sh: publisher-main started again", TimeSpan.FromSeconds(15));
            await ListenerWait.ForMoreFramesAsync(continuity, listener.Bytes, 3 * FramesPerSecond, TimeSpan.FromSeconds(20), "after the main publisher was killed", () => listener.Ended);
            Assert.False(demo.HasExited, "demo.sh stopped when the main publisher was killed");

            AssertStopsOnSigterm(demo, portBase);
        }
        catch
        {
            DumpDemo(demo);
            throw;
        }
    }

    // Half a minute of the suite's 15: the walk runs in bench/run.sh failover; the demo's own start, kill -9 and
    // restart stay in the suite above.
    [Fact]
    [Trait("Suite", "bench")]
    public async Task Demo_failover_walks_through_relay_and_publisher_failovers_printing_the_edges_counters_without_gap_frames()
    {
        ExternalTools.Require("curl");
        int portBase = FreeBase();
        // One second of listening after each step keeps the walk short; each step still waits for what it does.
        using var demo = StartDemo(portBase, "failover", new() { ["DEMO_STEP_SECONDS"] = "1" });
        try
        {
            await demo.WaitForOutputAsync("demo.sh: failover walk-through done", TimeSpan.FromSeconds(400));
            var steps = System.Text.RegularExpressions.Regex.Matches(demo.Output,
                    @"demo\.sh: \[(?<step>[^\]]+)\] edge counters of /programme\.aac: gap frames (?<gaps>\d+), failovers (?<failovers>\d+), switches (?<switches>\d+), frames emitted (?<frames>\d+), listeners \d+")
                .ToDictionary(m => m.Groups["step"].Value, m => (
                    Gaps: long.Parse(m.Groups["gaps"].Value), Failovers: long.Parse(m.Groups["failovers"].Value),
                    Switches: long.Parse(m.Groups["switches"].Value), Frames: long.Parse(m.Groups["frames"].Value)));
            string[] expected = ["before any failover", "relay-a killed and back", "relay-b killed and back", "main publisher stopped", "main publisher back"];
            Assert.Equal(expected, steps.Keys);
            Assert.All(steps, s => Assert.True(s.Value.Gaps == 0, $"{s.Key}: {s.Value.Gaps} gap frames"));
            // The stream moved on through every step, and the edge counted the failover and the switch back.
            Assert.All(expected.Zip(expected.Skip(1)), pair => Assert.True(steps[pair.Second].Frames > steps[pair.First].Frames, $"no frames emitted during {pair.Second}"));
            Assert.Equal((0L, 0L), (steps["relay-b killed and back"].Failovers, steps["relay-b killed and back"].Switches));
            Assert.Equal(1, steps["main publisher stopped"].Failovers);
            Assert.Equal(1, steps["main publisher back"].Switches);
            foreach (var part in new[] { "relay-a", "relay-b", "publisher-main" })
            {
                Assert.Contains($"demo.sh: {part} stopped (pid ", demo.Output);
                Assert.Contains($"demo.sh: {part} started again, pid ", demo.Output);
            }

            // It keeps running after the walk, until SIGTERM.
            await Wait.HoldsAsync(() => !demo.HasExited, TimeSpan.FromSeconds(3), "demo.sh running after the walk-through");
            AssertStopsOnSigterm(demo, portBase);
        }
        catch
        {
            DumpDemo(demo);
            throw;
        }
    }

    private static ChildProcess StartDemo(int portBase, string? command = null, Dictionary<string, string>? env = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["DEMO_NO_BUILD"] = "1",
            ["DEMO_CONFIGURATION"] = Repo.Configuration,
            ["DEMO_PORT_BASE"] = $"{portBase}",
        };
        foreach (var (key, value) in env ?? []) environment[key] = value;
        string[] args = command is null ? [Path.Combine(Repo.Root, "demo.sh")] : [Path.Combine(Repo.Root, "demo.sh"), command];
        return new ChildProcess("demo.sh", "bash", args, environment);
    }

    private static void AssertStopsOnSigterm(ChildProcess demo, int portBase)
    {
        Assert.True(demo.Terminate(TimeSpan.FromSeconds(30)), "demo.sh did not stop on SIGTERM");
        using var probe = new TcpClient();
        Assert.ThrowsAny<SocketException>(() => probe.Connect("127.0.0.1", portBase));
    }

    private void DumpDemo(ChildProcess demo)
    {
        output.WriteLine(demo.Output);
        foreach (var log in Directory.GetFiles(Path.Combine(Repo.Root, ".demo", "logs"), "*.log"))
            output.WriteLine($"== {log}\n{string.Join('\n', File.ReadLines(log).TakeLast(30))}");
    }

    /// <summary>Whether the edge's <c>/davecast/health</c> shows the relay's feed connected.</summary>
    private static async Task<bool> FeedConnectedAsync(string url, string relay)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(url));
            return doc.RootElement.GetProperty("sites").EnumerateArray()
                .SelectMany(s => s.GetProperty("relays").EnumerateArray())
                .Any(r => r.GetProperty("relay").GetString() == relay && r.GetProperty("connected").GetBoolean());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The sites the edge's <c>/davecast/health</c> shows reachable and followed, once both are (or at the timeout).</summary>
    private static async Task<string[]> SitesFollowedAsync(string url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        string[] followed = [];
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(url));
                followed = [.. doc.RootElement.GetProperty("sites").EnumerateArray()
                    .Where(s => s.GetProperty("reachable").GetBoolean() && s.GetProperty("followed").GetBoolean())
                    .Select(s => s.GetProperty("site").GetString()!)
                    .Order(StringComparer.Ordinal)];
                if (followed.Length == 2) return followed;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
            {
            }
            await Task.Delay(500);
        }
        return followed;
    }

    /// <summary>A base port whose derived demo ports are all free.</summary>
    private static int FreeBase()
    {
        var rng = new Random();
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int b = rng.Next(20000, 28000);
            int[] ports = [b, b + 80, b + 81, b + 1001, b + 1002, b + 1100, b + 1101, b + 3111, b + 3112, b + 22000, b + 22001];
            if (ports.All(IsFree)) return b;
        }
        throw new InvalidOperationException("no free port range for the demo");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var l = new TcpListener(System.Net.IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            using var u = new UdpClient(port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
