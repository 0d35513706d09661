using Davecast.Cli;
using Davecast.Http;
using Davecast.Tests.Publisher;
using Davecast.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Davecast.Tests.Http;

/// <summary>Flood-prone events (connections a port closed, refused packets), by reason: totals, and one report an interval however many come.</summary>
public sealed class FloodTallyTests(ITestOutputHelper output)
{
    private enum Reason
    {
        Full,
        Slow,
    }

    [Fact]
    public void The_first_refusal_is_reported_at_once_and_those_within_the_interval_together_when_it_ends()
    {
        var tally = new FloodTally(2, intervalMs: 10_000);
        var first = tally.Add(0, nowMs: 1_000);
        Assert.NotNull(first);
        Assert.Equal([1L, 0L], first.Counts);
        Assert.Null(first.SinceMs);

        for (int i = 0; i < 500; i++) Assert.Null(tally.Add(i % 2, nowMs: 2_000 + i));
        Assert.Equal(9_000, tally.DueInMs(2_000));
        Assert.Null(tally.TakeDue(10_999));

        var flood = tally.TakeDue(11_000);
        Assert.NotNull(flood);
        Assert.Equal([250L, 250L], flood.Counts);
        Assert.Equal(10_000, flood.SinceMs);
        Assert.Equal(501, flood.Total);
        Assert.Equal(251, tally.Total(0));
        Assert.Equal(250, tally.Total(1));

        // Nothing new: nothing to report, nothing waiting.
        Assert.Null(tally.TakeDue(30_000));
        Assert.Null(tally.DueInMs(30_000));
        // After a quiet interval, a refusal is news again.
        Assert.Equal([0L, 1L], tally.Add(1, nowMs: 30_000)!.Counts);
    }

    [Fact]
    public void A_tally_of_one_kind_passes_one_line_per_interval_and_says_how_many_it_held_back()
    {
        var tally = new FloodTally(1, intervalMs: 10_000);
        Assert.True(tally.Pass(1_000, out long held));
        Assert.Equal(0, held);
        for (int i = 0; i < 1000; i++) Assert.False(tally.Pass(1_001 + i, out _));
        Assert.False(tally.Pass(10_999, out _));
        Assert.True(tally.Pass(11_000, out held));
        Assert.Equal(1001, held);
        Assert.Equal(1003, tally.Total(0));
    }

    [Fact]
    public void A_flood_makes_two_log_lines_with_its_counts_reasons_and_the_last_address()
    {
        var logging = new TestLogging(output);
        using var factory = logging.Factory();
        var clock = new FakeTimeProvider();
        using var refusals = new PortRefusals<Reason>("Test port", r => r == Reason.Full ? "over --max-test (3)" : "too slow", factory.CreateLogger("test"),
            TimeSpan.FromMilliseconds(300), clock);

        for (int i = 0; i < 100; i++) refusals.Add(i < 60 ? Reason.Full : Reason.Slow, $"127.0.0.{i % 7}:1000");
        Assert.Single(logging.Lines);
        clock.Advance(TimeSpan.FromMilliseconds(299));
        Assert.Single(logging.Lines);
        // The interval ends: the flush timer logs the rest.
        clock.Advance(TimeSpan.FromMilliseconds(10));

        var lines = logging.Lines.ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Contains("Warning test: Test port: closed 1 connection(s) before serving them: 1 over --max-test (3); the last from 127.0.0.0:1000; 1 since start", lines[0]);
        Assert.Contains("Test port: closed 99 connection(s) in the last 0.3 s before serving them: 59 over --max-test (3), 40 too slow; the last from 127.0.0.1:1000; 100 since start", lines[1]);
        Assert.Equal(60, refusals.Total(Reason.Full));
        Assert.Equal(40, refusals.Total(Reason.Slow));
    }
}
