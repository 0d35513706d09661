using System.Net.Sockets;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// The README's first command, run for real: ./demo.sh runs two sites, serves the fixture frame-exact through the
/// SIGKILL of relay-a (relay-b, in its own cluster, lives on; the demo starts relay-a again) and stops on SIGTERM.
/// </summary>
[Collection("processes")]
public sealed class DemoScriptTests(ITestOutputHelper output)
{
    // programme.aac: 44.1 kHz AAC, 1024 samples a frame, about 43 frames a second.
    private const int FramesPerSecond = 43;

    [Fact]
    public async Task Demo_serves_the_fixture_frame_exact_through_a_relay_kill_and_stops_on_sigterm()
    {
        ExternalTools.Require("ffmpeg");
        ExternalTools.Require("curl");
        int portBase = FreeBase();
        using var demo = new ChildProcess("demo.sh", "bash", [Path.Combine(Repo.Root, "demo.sh")], new Dictionary<string, string>
        {
            ["DEMO_NO_BUILD"] = "1",
            ["DEMO_CONFIGURATION"] = Repo.Configuration,
            ["DEMO_PORT_BASE"] = $"{portBase}",
        });
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

            await using var listener = new StreamRecorder();
            var response = await listener.StartAsync(listen);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("audio/aac", response.Content.Headers.ContentType?.MediaType);
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.aac"));
            await ListenerWait.ForFramesAsync(continuity, listener.Bytes, 3 * FramesPerSecond, TimeSpan.FromSeconds(20), "before the kill", () => listener.Ended);
            // demo.sh starts again only a relay that ran 10 s (a crash loop otherwise; it counts whole seconds).
            var relayAStarted = System.Diagnostics.Process.GetProcessById(relayA).StartTime;
            await Wait.UntilAsync(() => DateTime.Now - relayAStarted > TimeSpan.FromSeconds(11), TimeSpan.FromSeconds(30), "relay-a to have run 11 s");
            // relay-a dies at once. relay-b's cluster is its own, so it lives on (with one cluster on relay-a's
            // development membership table it had to terminate), and the stream goes on from it.
            Assert.Equal(0, Posix.Kill(relayA, Posix.SIGKILL));
            // Nine seconds of the programme after the kill, which the listener hears as they are played.
            await ListenerWait.ForMoreFramesAsync(continuity, listener.Bytes, 9 * FramesPerSecond, TimeSpan.FromSeconds(40), "after the kill", () => listener.Ended);
            var audio = listener.Bytes();
            Assert.True(Posix.Kill(relayB, 0) == 0, "relay-b stopped when relay-a was killed");
            await demo.WaitForOutputAsync("demo.sh: relay-a started again", TimeSpan.FromSeconds(15));
            Assert.False(demo.HasExited, "demo.sh stopped when relay-a was killed");
            var report = continuity.Check(audio);
            output.WriteLine($"demo: {report}, {audio.Length} bytes");
            Assert.True(report.Perfect, report.ToString());
            // 12 s at 43 frames/s (516), less start-up slack; a demo that just started has little to burst.
            Assert.True(report.Frames > 400, $"only {report.Frames} frames");
            var (exit, errors) = await Decoder.DecodeAsync(Decoder.WholeFrames(audio), "aac");
            Assert.True(exit == 0 && errors.Length == 0, $"ffmpeg: exit {exit}: {errors}");

            Assert.True(demo.Terminate(TimeSpan.FromSeconds(30)), "demo.sh did not stop on SIGTERM");
            using var probe = new TcpClient();
            await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync("127.0.0.1", portBase));
        }
        catch
        {
            output.WriteLine(demo.Output);
            foreach (var log in Directory.GetFiles(Path.Combine(Repo.Root, ".demo", "logs"), "*.log"))
                output.WriteLine($"== {log}\n{string.Join('\n', File.ReadLines(log).TakeLast(30))}");
            throw;
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
            int[] ports = [b, b + 81, b + 82, b + 1001, b + 1002, b + 1100, b + 1101, b + 3111, b + 3112, b + 22000, b + 22001];
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
