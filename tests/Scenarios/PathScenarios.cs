using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Scenarios;

/// <summary>
/// Promise 1 on the paths: the publisher reaches each relay through a <see cref="PathProxy"/> that can cut or lose
/// UDP and TCP independently.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class PathScenarios(ITestOutputHelper output)
{
    [Fact]
    public async Task PathCuts_udp_to_one_relay_then_tcp_to_the_other_is_hitless()
    {
        await using var s = await ScenarioHost.StartAsync("PathCuts", output);
        await s.RunAsync(async () =>
        {
            var relays = await s.StartRelaysAsync(2);
            var toA = s.Own(new PathProxy("proxy-a", relays[0].IngestPort, seed: 1));
            var toB = s.Own(new PathProxy("proxy-b", relays[1].IngestPort, seed: 2));
            s.D.StartPublisherTo("studio", ScenarioHost.Mount, ScenarioHost.Fixture, 100, [toA.Port, toB.Port]);
            var edge = (await s.StartEdgesAsync(1))[0];
            var listener = (await s.ListenAsync(edge))[0];
            var check = new ScenarioCheck("PathCuts", FrameContinuity.ForFile(ScenarioHost.Fixture));
            await s.RunForAsync(ScenarioHost.BeforeFault, edge, listener);

            check.Mark("cut udp to relay-a", listener);
            toA.UdpCut = true;
            s.Log($"cut UDP to relay-a; {toA}");
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);

            check.Mark("cut tcp to relay-b", listener);
            toB.TcpCut = true;
            s.Log($"cut TCP to relay-b (UDP to relay-a still cut); {toB}");
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);

            s.Log(toA.ToString());
            s.Log(toB.ToString());
            var result = check.Analyze(listener);
            s.Report(result, $"{toA}\n{toB}\n{await EdgeHealth.SummaryAsync(edge, ScenarioHost.Mount)}");
            // The paths that were left did carry the stream.
            Assert.True(toA.TcpForwarded > 0 && toB.UdpForwarded > 0, $"{toA}; {toB}");
            ScenarioHost.AssertHitless(result, listener);
        });
    }

    /// <summary>
    /// 20 % independent loss on each of the 4 paths for 40 s. With one encoder a frame is lost on all four paths
    /// with probability 0.2^4 (about 3 frames of 1,700), and no relay can have it: promise 2 covers that case ("or
    /// loses a frame on every path") with a backup encoder. So two publishers of the same fixture run, both through
    /// the same lossy paths, and the frames lost on every path of the live encoder (counted by the proxies from the
    /// packets' headers) must be filled from the backup, exactly.
    /// </summary>
    [Fact]
    [Trait("Suite", "bench")] // 60 s of random loss: under bench/run.sh failover, to keep the suite within 15 minutes
    public async Task RandomLoss_20_percent_on_each_of_4_paths_for_40_s_is_hitless()
    {
        await using var s = await ScenarioHost.StartAsync("RandomLoss", output);
        await s.RunAsync(async () =>
        {
            var relays = await s.StartRelaysAsync(2);
            var toA = s.Own(new PathProxy("proxy-a", relays[0].IngestPort, seed: 11));
            var toB = s.Own(new PathProxy("proxy-b", relays[1].IngestPort, seed: 12));
            var startAt = EncoderScenarios.StartAt();
            s.D.StartPublisherTo("main", ScenarioHost.Mount, ScenarioHost.Fixture, 200, [toA.Port, toB.Port], startAt);
            s.D.StartPublisherTo("backup", ScenarioHost.Mount, ScenarioHost.Fixture, 100, [toA.Port, toB.Port], startAt);
            var edge = (await s.StartEdgesAsync(1))[0];
            var listener = (await s.ListenAsync(edge))[0];
            var check = new ScenarioCheck("RandomLoss", FrameContinuity.ForFile(ScenarioHost.Fixture));
            await s.RunForAsync(ScenarioHost.BeforeFault, edge, listener);

            check.Mark("loss 20% on 4 paths", listener);
            var lostBefore = PathProxy.LostOnEveryPath("main", toA, toB).Count;
            foreach (var p in new[] { toA, toB }) p.UdpLoss = p.TcpLoss = 0.2;
            s.Log("20% loss on each path, independently");
            await s.RunForAsync(TimeSpan.FromSeconds(40), edge, listener);
            foreach (var p in new[] { toA, toB }) p.UdpLoss = p.TcpLoss = 0;
            check.Mark("loss off", listener);
            await s.RunForAsync(TimeSpan.FromSeconds(2), edge, listener);

            var lostMain = PathProxy.LostOnEveryPath("main", toA, toB);
            var lostBackup = PathProxy.LostOnEveryPath("backup", toA, toB);
            var lostBoth = lostMain.Select(f => f.Sequence).Intersect(lostBackup.Select(f => f.Sequence)).Count();
            var note = $"frames of main lost on all 4 paths: {lostMain.Count - lostBefore} (to be filled from backup), of backup: {lostBackup.Count}, "
                + $"same sequence lost on all 8 paths: {lostBoth}\n{toA}\n{toB}\n{await EdgeHealth.SummaryAsync(edge, ScenarioHost.Mount)}";
            s.Log(note);
            var result = check.Analyze(listener);
            s.Report(result, note);
            if (lostBoth == 0)
            {
                ScenarioHost.AssertHitless(result, listener);
                return;
            }
            // Rare (p ~ 0.2^8 per frame): a programme position lost on all 8 paths of both encoders can be in no
            // relay; only those may be missing.
            s.Log($"{lostBoth} programme position(s) lost on every path of both encoders: at most that many may be missing");
            Assert.False(listener.Ended, "the edge closed the listener's connection");
            Assert.True(result.Frames.Repeated == 0 && result.Frames.Foreign == 0 && result.Frames.Missing <= lostBoth, result.Frames.ToString());
            Assert.True(result.MaxLateness < TimeSpan.Zero, $"the listener fell behind: max lateness {result.MaxLateness.TotalMilliseconds:F0} ms");
        });
    }

    /// <summary>
    /// One relay fed only by multicast UDP (it joins the group; the publisher does not list it), the other only by
    /// TCP; the TCP-fed relay dies (SIGKILL): everything then comes through multicast.
    /// </summary>
    [Fact]
    public async Task MulticastAndTcp_kill_the_tcp_fed_relay_is_hitless()
    {
        await using var s = await ScenarioHost.StartAsync("MulticastAndTcp", output);
        await s.RunAsync(async () =>
        {
            var group = $"239.255.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}:{Ports.Free()}";
            var relays = await s.StartRelaysAsync(2, i => i == 0 ? ["--multicast", group] : []);
            s.Log($"relay-a joined {group}; relay-b takes TCP only");
            s.D.StartPublisherTo("studio", ScenarioHost.Mount, ScenarioHost.Fixture, 100, [relays[1].IngestPort], null,
                "--transport", "tcp", "--multicast", group);
            var edge = (await s.StartEdgesAsync(1))[0];
            var listener = (await s.ListenAsync(edge))[0];
            var check = new ScenarioCheck("MulticastAndTcp", FrameContinuity.ForFile(ScenarioHost.Fixture));
            await s.RunForAsync(ScenarioHost.BeforeFault, edge, listener);
            var relaysBefore = await EdgeHealth.RelaysAsync(edge, ScenarioHost.Mount);
            s.Log($"relays carrying the mount: {(relaysBefore is null ? "(not exposed)" : string.Join(", ", relaysBefore))}");

            check.Mark("kill -9 relay-b (tcp)", listener);
            s.D.KillRelay("relay-b");
            s.Log("killed relay-b, the TCP-fed relay; relay-a has multicast only");
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);

            var result = check.Analyze(listener);
            s.Report(result, await EdgeHealth.SummaryAsync(edge, ScenarioHost.Mount));
            if (relaysBefore is not null) Assert.Contains("relay-a", relaysBefore);
            ScenarioHost.AssertHitless(result, listener);
        });
    }
}
