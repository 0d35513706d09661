using System.Collections.Concurrent;
using System.Net;
using System.Web;
using Davecast.Bench.Harness;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// Listener authentication by URL (<c>--listener-auth-url</c>), against a real HTTP hook started by the test: who is
/// admitted and refused, what the hook is told when listeners arrive and leave, and both answers to a hook that is down.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ListenerAuthTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_hook_admits_and_refuses_listeners_hears_them_leave_and_a_hook_that_is_down_fails_closed_or_open()
    {
        var posts = new ConcurrentQueue<Dictionary<string, string>>();
        using var stalled = new CancellationTokenSource();
        // Admits good:secret; "/stalled" never answers, as a hung hook.
        using var hook = new LoopbackHttpServer(async context =>
        {
            if (context.Request.Url!.AbsolutePath == "/stalled")
            {
                await Task.Delay(Timeout.Infinite, stalled.Token).ContinueWith(_ => { });
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream);
            var form = HttpUtility.ParseQueryString(await reader.ReadToEndAsync());
            var fields = form.AllKeys.ToDictionary(k => k!, k => form[k]!);
            fields["content-type"] = context.Request.ContentType ?? "";
            posts.Enqueue(fields);
            if (fields["action"] == "listener_add" && fields["user"] == "good" && fields["pass"] == "se:cret")
                context.Response.AddHeader("icecast-auth-user", "1");
            else
                context.Response.AddHeader("icecast-auth-message", "bad login");
        });
        int nothing = Ports.Free();

        await using var d = new Deployment();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var starting = new[]
            {
                d.StartEdgeAsync("--hls", "--listener-auth-url", hook.Url("/auth"), "--listener-auth-url", "free.mp3=none", "--hostname", "radio.example"),
                d.StartEdgeAsync("--listener-auth-url", $"locked.mp3={hook.Url("/stalled")}", "--listener-auth-timeout-ms", "500"),
                d.StartEdgeAsync("--listener-auth-url", $"http://127.0.0.1:{nothing}/auth", "--listener-auth-down", "open"),
            };
            await relay;
            var (edge, closed, open) = (await starting[0], await starting[1], await starting[2]);
            d.StartPublisher("studio", "locked.mp3", Repo.Fixture("programme.mp3"), priority: 100);
            d.StartPublisher("music", "free.mp3", Repo.Fixture("programme.mp3"), priority: 100);
            foreach (var e in new[] { edge, closed, open })
                foreach (var m in new[] { "locked.mp3", "free.mp3" }) await Wait.ForMountAsync(e.Url(m), TimeSpan.FromSeconds(60));

            // HLS has no connection for the hook to admit: a mount behind one is not offered as HLS, a public one is.
            using (var http = new HttpClient())
            {
                Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(edge.Url("locked.mp3.m3u8"))).StatusCode);
                Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(edge.Url("free.mp3.m3u8"))).StatusCode);
            }

            // Admitted: the hook was told who, where and with what; the listener gets audio.
            var admitted = await Listen(edge, "locked.mp3?token=abc", ("good", "se:cret"), "player-one/1.0");
            Assert.Equal(200, admitted.StatusCode);
            await Wait.UntilAsync(() => admitted.AudioLength > 0 || admitted.Closed, TimeSpan.FromSeconds(10), "audio for the admitted listener");
            var add = Assert.Single(posts);
            output.WriteLine(string.Join(", ", add.Select(kv => $"{kv.Key}={kv.Value}")));
            Assert.Equal("application/x-www-form-urlencoded", add["content-type"]);
            Assert.Equal("listener_add", add["action"]);
            Assert.Equal("/locked.mp3?token=abc", add["mount"]);
            Assert.Equal(("good", "se:cret"), (add["user"], add["pass"]));
            Assert.Equal("127.0.0.1", add["ip"]);
            Assert.Equal("player-one/1.0", add["agent"]);
            Assert.Equal("radio.example", add["server"]);
            Assert.Equal($"{edge.Port}", add["port"]);
            Assert.True(long.TryParse(add["client"], out _), $"client id '{add["client"]}'");

            // Refused: without a login the listener is asked for one (401), with a wrong one it is forbidden (403).
            await using (var anonymous = await Listen(edge, "locked.mp3", null, "player-two/2.0"))
            {
                Assert.Equal(401, anonymous.StatusCode);
                Assert.Equal("Basic realm=\"Icecast2 Server\"", anonymous.Header("WWW-Authenticate"));
            }
            await using (var wrong = await Listen(edge, "locked.mp3", ("good", "nope"), "player-three/3.0"))
            {
                Assert.Equal(403, wrong.StatusCode);
                Assert.Contains("refused", wrong.Body());
            }
            Assert.Equal(["listener_add", "listener_add", "listener_add"], posts.Select(p => p["action"]));
            Assert.Equal(["", "good"], posts.Skip(1).Select(p => p["user"]));
            // A mount given 'none' asks no hook.
            await using (var free = await Listen(edge, "free.mp3", null, "player-four/4.0"))
                Assert.Equal(200, free.StatusCode);
            Assert.Equal(3, posts.Count);
            Assert.Contains("refused by the listener authentication hook: bad login", d.Logs());

            // Leaving: listener_remove for the admitted listener, with its id, login and time connected.
            await admitted.DisposeAsync();
            await Wait.UntilAsync(() => posts.Any(p => p["action"] == "listener_remove"), TimeSpan.FromSeconds(10), "listener_remove");
            var remove = Assert.Single(posts, p => p["action"] == "listener_remove");
            Assert.Equal((add["client"], "/locked.mp3?token=abc", "good", "se:cret", "player-one/1.0"),
                (remove["client"], remove["mount"], remove["user"], remove["pass"], remove["agent"]));
            Assert.True(long.Parse(remove["duration"]) >= 0);

            // Down, failing closed: a hook with no answer within --listener-auth-timeout-ms gets the listener a 503;
            // the mount without a hook on that edge is still public.
            await using (var refusedClosed = await Listen(closed, "locked.mp3", ("good", "se:cret"), "player-five/5.0"))
            {
                Assert.Equal(503, refusedClosed.StatusCode);
                Assert.Contains("unavailable", refusedClosed.Body());
                Assert.Equal("30", refusedClosed.Header("Retry-After"));
            }
            await using (var freeOnClosed = await Listen(closed, "free.mp3", null, "player-six/6.0"))
                Assert.Equal(200, freeOnClosed.StatusCode);
            Assert.Contains("is down (no answer within 500 ms): listener", closed.Process.Output);

            // Down, failing open: nothing listens at the hook's port, and the listener is admitted.
            await using (var admittedOpen = await Listen(open, "locked.mp3", null, "player-seven/7.0"))
            {
                Assert.Equal(200, admittedOpen.StatusCode);
                await Wait.UntilAsync(() => admittedOpen.AudioLength > 0 || admittedOpen.Closed, TimeSpan.FromSeconds(10), "audio while the hook is down");
                Assert.False(admittedOpen.Closed);
            }
            Assert.Contains("admitted (fail open)", open.Process.Output);
        }
        catch
        {
            output.WriteLine(string.Join("\n", posts.Select(p => string.Join(", ", p.Select(kv => $"{kv.Key}={kv.Value}")))));
            output.WriteLine(d.Logs());
            throw;
        }
        finally
        {
            await stalled.CancelAsync();
        }
    }

    private static Task<IcyClient> Listen(Deployment.Edge edge, string target, (string, string)? login, string userAgent) =>
        IcyClient.ConnectAsync($"http://127.0.0.1:{edge.Port}/{target}", new IcyClientOptions { IcyMetadata = false, Credentials = login, UserAgent = userAgent });
}
