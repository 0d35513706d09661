using System.Diagnostics;
using Davecast.Edge.Sites;
using Davecast.Frames;
using Davecast.Grains;

namespace Davecast.Tests.Edge;

/// <summary>
/// How an edge combines its sites' views of a mount: the same views always give the same choice, so every edge
/// follows the same election.
/// </summary>
public class SiteViewsTests
{
    private const string M = "/live";

    // Far from the boundary either way, so the wall clock between building a view and combining it cannot matter.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private static DateTimeOffset Fresh => DateTimeOffset.UtcNow;
    private static DateTimeOffset Stale => DateTimeOffset.UtcNow - TimeSpan.FromHours(1);

    [Fact]
    public void The_first_site_whose_live_encoder_is_healthy_there_wins()
    {
        var a = View("a", Info(live: "enc-a", encoders: [Status("enc-a", 1, Fresh)]));
        var b = View("b", Info(live: "enc-b", encoders: [Status("enc-b", 1, Fresh)]));
        Assert.Equal("enc-a", SiteViews.Combine(M, [a, b])!.LiveEncoder);
        // The order given decides, not the sites' names.
        Assert.Equal("enc-b", SiteViews.Combine(M, [b, a])!.LiveEncoder);
    }

    [Fact]
    public void The_same_views_always_give_the_same_choice()
    {
        var views = new[]
        {
            View("a", Info(live: "enc-1", session: 4, encoders: [Status("enc-1", 4, Stale)], relays: ["r2"])),
            View("b", Info(live: "enc-2", session: 5, encoders: [Status("enc-2", 5, Fresh)], relays: ["r1"])),
            View("c", Info(live: "enc-3", session: 6, encoders: [Status("enc-3", 6, Fresh)], relays: ["r3"])),
        };
        var first = SiteViews.Combine(M, views)!;
        for (int i = 0; i < 5; i++)
        {
            var again = SiteViews.Combine(M, views)!;
            Assert.Equal(first.LiveEncoder, again.LiveEncoder);
            Assert.Equal(first.LiveSession, again.LiveSession);
            Assert.Equal(first.Relays, again.Relays);
        }
        Assert.Equal("enc-2", first.LiveEncoder);
        Assert.Equal(5UL, first.LiveSession);
    }

    [Fact]
    public void A_site_whose_live_encoder_is_stale_loses_to_a_later_site_whose_live_encoder_is_healthy()
    {
        var a = View("a", Info(live: "enc-a", session: 1, encoders: [Status("enc-a", 1, Stale)], title: "from a"));
        var b = View("b", Info(live: "enc-b", session: 2, encoders: [Status("enc-b", 2, Fresh)], title: "from b"));
        var combined = SiteViews.Combine(M, [a, b])!;
        Assert.Equal("enc-b", combined.LiveEncoder);
        Assert.Equal(2UL, combined.LiveSession);
        Assert.Equal("from b", combined.Title);
    }

    [Fact]
    public void A_site_whose_live_encoder_is_refused_loses_to_a_later_healthy_one()
    {
        var a = View("a", Info(live: "enc-a", encoders: [Status("enc-a", 1, Fresh, refused: "codec mismatch")]));
        var b = View("b", Info(live: "enc-b", encoders: [Status("enc-b", 1, Fresh)]));
        Assert.Equal("enc-b", SiteViews.Combine(M, [a, b])!.LiveEncoder);
    }

    [Fact]
    public void Only_the_live_encoders_own_health_counts_not_another_encoders()
    {
        // Site a elected enc-1, which is stale there; that enc-2 is healthy at a does not make a's election healthy.
        var a = View("a", Info(live: "enc-1", encoders: [Status("enc-1", 1, Stale), Status("enc-2", 1, Fresh)]));
        var b = View("b", Info(live: "enc-2", encoders: [Status("enc-2", 1, Fresh)]));
        Assert.Equal("enc-2", SiteViews.Combine(M, [a, b])!.LiveEncoder);
        Assert.Equal("b", Origin(SiteViews.Combine(M, [a, b])!));
    }

    [Fact]
    public void Only_the_live_session_counts_not_an_older_session_of_the_same_encoder()
    {
        // Site a elected session 2 of enc-1 but has only heard fresh frames of session 1.
        var a = View("a", Info(live: "enc-1", session: 2, encoders: [Status("enc-1", 1, Fresh), Status("enc-1", 2, Stale)]));
        var b = View("b", Info(live: "enc-1", session: 3, encoders: [Status("enc-1", 3, Fresh)]));
        var combined = SiteViews.Combine(M, [a, b])!;
        Assert.Equal("enc-1", combined.LiveEncoder);
        Assert.Equal(3UL, combined.LiveSession);
    }

    [Fact]
    public void When_no_live_encoder_is_healthy_the_first_site_that_elected_one_wins()
    {
        var a = View("a", Info(live: null, encoders: [Status("enc-x", 1, Fresh)]));
        var b = View("b", Info(live: "enc-b", encoders: [Status("enc-b", 1, Stale)]));
        var c = View("c", Info(live: "enc-c", encoders: [Status("enc-c", 1, Stale)]));
        var combined = SiteViews.Combine(M, [a, b, c])!;
        Assert.Equal("enc-b", combined.LiveEncoder);
        Assert.Equal("b", Origin(combined));
    }

    [Fact]
    public void When_no_site_elected_anyone_the_first_site_that_knows_the_mount_is_followed()
    {
        var a = View("a");
        var b = View("b", Info(live: null, relays: ["r2"]));
        var c = View("c", Info(live: null, relays: ["r1"]));
        var combined = SiteViews.Combine(M, [a, b, c])!;
        Assert.Null(combined.LiveEncoder);
        Assert.Equal("b", Origin(combined));
        Assert.Equal(new[] { "r1", "r2" }, combined.Relays);
    }

    [Fact]
    public void Relays_are_the_union_of_every_sites_sorted_without_duplicates()
    {
        var a = View("a", Info(live: "enc", encoders: [Status("enc", 1, Fresh)], relays: ["relay-c", "relay-a"]));
        var b = View("b", Info(live: "enc", encoders: [Status("enc", 1, Stale)], relays: ["relay-b", "relay-a", "Relay-Z"]));
        var combined = SiteViews.Combine(M, [a, b])!;
        Assert.Equal(new[] { "Relay-Z", "relay-a", "relay-b", "relay-c" }, combined.Relays);
        // Whichever site is followed.
        Assert.Equal(combined.Relays, SiteViews.Combine(M, [b, a])!.Relays);
    }

    [Fact]
    public void The_admin_title_with_the_highest_version_wins_whichever_site_is_followed()
    {
        var a = View("a", Info(live: "enc", encoders: [Status("enc", 1, Fresh)], adminTitle: "old", adminVersion: 3));
        var b = View("b", Info(live: "enc", encoders: [Status("enc", 1, Fresh)], adminTitle: "new", adminVersion: 7));
        var c = View("c", Info(live: "enc", encoders: [Status("enc", 1, Fresh)]));
        foreach (var order in new[] { new[] { a, b, c }, [c, b, a], [b, a, c], [c, a, b] })
        {
            var combined = SiteViews.Combine(M, order)!;
            Assert.Equal("new", combined.AdminTitle);
            Assert.Equal(7, combined.AdminTitleVersion);
        }
    }

    [Fact]
    public void Without_any_admin_title_none_is_made_up()
    {
        var a = View("a", Info(live: "enc", encoders: [Status("enc", 1, Fresh)]));
        var b = View("b", Info(live: "enc", encoders: [Status("enc", 1, Fresh)]));
        var combined = SiteViews.Combine(M, [a, b])!;
        Assert.Null(combined.AdminTitle);
        Assert.Equal(0, combined.AdminTitleVersion);
    }

    [Fact]
    public void A_mount_only_one_site_knows_is_that_sites_info_unchanged()
    {
        var a = ViewOf("a", ("/other", Info(live: "x", encoders: [Status("x", 1, Fresh)], relays: ["q"], adminTitle: "other", adminVersion: 9)));
        var b = View("b", Info(live: "enc", encoders: [Status("enc", 1, Stale)], relays: ["z", "a", "a"], adminTitle: "t", adminVersion: 2));
        var info = b.Mounts[M];
        Assert.Same(info, SiteViews.Combine(M, [a, b]));
        Assert.Same(info, SiteViews.Combine(M, [b]));
    }

    [Fact]
    public void A_mount_no_site_knows_is_null()
    {
        var a = ViewOf("a", ("/other", Info(live: "x", encoders: [Status("x", 1, Fresh)])));
        Assert.Null(SiteViews.Combine(M, [a, View("b")]));
        Assert.Null(SiteViews.Combine(M, []));
    }

    [Fact]
    public void Edges_are_the_union_with_each_edges_latest_report()
    {
        var t0 = DateTimeOffset.UnixEpoch.AddYears(55);
        var a = View("a", Info(live: "enc", encoders: [Status("enc", 1, Fresh)], edges: [Edge("edge-2", t0, 10), Edge("edge-1", t0.AddSeconds(5), 1)]));
        var b = View("b", Info(live: "enc", encoders: [Status("enc", 1, Fresh)], edges: [Edge("edge-1", t0, 2), Edge("edge-3", t0, 3)]));
        var edges = SiteViews.Combine(M, [a, b])!.Edges!;
        Assert.Equal(new[] { "edge-1", "edge-2", "edge-3" }, edges.Select(e => e.Edge));
        Assert.Equal(1, edges[0].Listeners); // a's report of edge-1 is the later one
    }

    [Fact]
    public void Codec_parameters_missing_at_the_followed_site_come_from_another()
    {
        var parameters = new CodecParameters(CodecKind.Aac, 48000, 2, 0, 2, 4, 1024);
        var a = View("a", Info(live: "enc", encoders: [Status("enc", 1, Fresh)]));
        var b = View("b", Info(live: "enc", encoders: [Status("enc", 1, Stale)], parameters: parameters));
        var combined = SiteViews.Combine(M, [a, b])!;
        Assert.Equal("a", Origin(combined));
        Assert.Equal(parameters, combined.Parameters);
    }

    [Fact]
    public void Healthy_means_not_refused_and_heard_within_the_timeout()
    {
        var now = DateTimeOffset.UnixEpoch.AddYears(50);
        var timeout = TimeSpan.FromSeconds(10);
        Assert.True(SiteViews.Healthy(Status("e", 1, now - timeout), now, timeout));
        Assert.False(SiteViews.Healthy(Status("e", 1, now - timeout - TimeSpan.FromTicks(1)), now, timeout));
        Assert.False(SiteViews.Healthy(Status("e", 1, now, refused: "duplicate"), now, timeout));
    }

    [Fact]
    public void Each_sites_live_encoder_is_judged_by_that_sites_timeout_and_the_edge_takes_the_largest()
    {
        var now = DateTimeOffset.UtcNow;
        // enc-a's last frame is 10 s old: stale by site a's 3 s, healthy by site b's 60 s.
        var a = View("a", Info(live: "enc-a", encoders: [Status("enc-a", 1, now - TimeSpan.FromSeconds(10))]) with { EncoderTimeout = TimeSpan.FromSeconds(3) });
        var b = View("b", Info(live: "enc-b", encoders: [Status("enc-b", 1, now - TimeSpan.FromSeconds(10))]) with { EncoderTimeout = TimeSpan.FromSeconds(60) });
        var combined = SiteViews.Combine(M, [a, b])!;
        Assert.Equal("enc-b", combined.LiveEncoder);
        Assert.Equal(TimeSpan.FromSeconds(60), combined.HealthTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), SiteViews.Combine(M, [b, a])!.HealthTimeout);
    }

    [Fact]
    public void A_site_that_sends_no_timeout_counts_with_the_default()
    {
        var info = Info(live: "enc") with { EncoderTimeout = null };
        Assert.Equal(ElectionOptions.DefaultEncoderTimeout, info.HealthTimeout);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Which site's info the combination was built on (each test's infos carry their site in Headers).</summary>
    private static string Origin(MountInfo info) => info.Headers["site"];

    private static SiteView View(string site, params MountInfo[] infos) =>
        ViewOf(site, [.. infos.Select(i => (M, i))]);

    private static SiteView ViewOf(string site, params (string Mount, MountInfo Info)[] mounts) =>
        new(site, Stopwatch.GetTimestamp(),
            mounts.ToDictionary(m => m.Mount, m => m.Info with { Headers = new Dictionary<string, string> { ["site"] = site } }),
            []);

    private static MountInfo Info(
        string? live, ulong session = 1, IReadOnlyList<EncoderStatus>? encoders = null, IReadOnlyList<string>? relays = null,
        string? title = null, string? adminTitle = null, long adminVersion = 0, IReadOnlyList<EdgeReport>? edges = null,
        CodecParameters? parameters = null) =>
        new(M, parameters, live, relays ?? ["r"], encoders ?? [], new Dictionary<string, string>(), title,
            LiveSession: session, Edges: edges, AdminTitle: adminTitle, AdminTitleVersion: adminVersion, EncoderTimeout: Timeout);

    private static EncoderStatus Status(string encoder, ulong session, DateTimeOffset lastFrameAt, string? refused = null) =>
        new(encoder, session, Priority: 0, Parameters: null, LastSequence: 100, LastFrameAt: lastFrameAt, SeenBy: ["r"],
            FramesAccepted: 100, Duplicates: 0, Gaps: 0, RefusedReason: refused);

    private static EdgeReport Edge(string edge, DateTimeOffset at, int listeners) =>
        new(edge, at, Playing: "enc", Listeners: listeners, FramesEmitted: 0, Duplicates: 0, Late: 0, GapFrames: 0,
            Substituted: 0, Failovers: 0, Switches: 0, Backfills: 0, BytesOut: 0);
}
