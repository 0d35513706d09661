using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Scenarios;

/// <summary>
/// Promise 1 and 4 with real processes: a relay silo dies (SIGKILL), including the first one started (which holds
/// cluster-wide grains), comes back under the same name and ports, and the other one dies. The listener hears every
/// frame exactly once throughout.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class RelayKillScenarios(ITestOutputHelper output)
{
    [Fact]
    public async Task RelayKills_kill_first_relay_restart_it_then_kill_the_other_is_hitless()
    {
        await using var s = await ScenarioHost.StartAsync("RelayKills", output);
        await s.RunAsync(async () =>
        {
            await s.StartRelaysAsync(2);
            s.D.StartPublisher("studio", ScenarioHost.Mount, ScenarioHost.Fixture, priority: 100);
            var edge = (await s.StartEdgesAsync(1))[0];
            var listener = (await s.ListenAsync(edge))[0];
            var check = new ScenarioCheck("RelayKills", FrameContinuity.ForFile(ScenarioHost.Fixture));
            await s.RunForAsync(ScenarioHost.BeforeFault, edge, listener);

            check.Mark("kill -9 relay-a", listener);
            s.D.KillRelay("relay-a");
            s.Log("killed relay-a (the first relay started)");
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);

            check.Mark("restart relay-a", listener);
            await s.D.RestartRelayAsync("relay-a");
            s.Log("relay-a restarted (same name and ports)");
            var back = await ScenarioHost.PollAsync(
                async () => (await EdgeHealth.RelaysAsync(edge, ScenarioHost.Mount))?.Contains("relay-a") == true,
                TimeSpan.FromSeconds(30));
            s.Log(back is { } t ? $"relay-a carries /{ScenarioHost.Mount} again after {t.TotalSeconds:F1} s" : "relay-a not seen carrying the mount within 30 s");
            await s.RunForAsync(TimeSpan.FromSeconds(5), edge, listener);
            Assert.True(back is not null, "the restarted relay-a did not carry the mount again within 30 s (edge health: mount relays)");

            check.Mark("kill -9 relay-b", listener);
            s.D.KillRelay("relay-b");
            s.Log("killed relay-b");
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);

            var result = check.Analyze(listener);
            s.Report(result, await EdgeHealth.SummaryAsync(edge, ScenarioHost.Mount));
            ScenarioHost.AssertHitless(result, listener);
        });
    }

    /// <summary>
    /// A relay frozen for 20 s (SIGSTOP: a stalled VM) is declared dead by its own cluster; when it runs again it is
    /// told so and must stop itself, with a failure exit code, so that its systemd unit (Restart=always, RestartSec=2)
    /// starts it again. The test plays systemd's part, measures how long the restart takes, and the listener rides on
    /// the other relay meanwhile.
    /// </summary>
    [Fact]
    [Trait("Suite", "bench")]
    public async Task Relay_declared_dead_by_its_cluster_stops_itself_and_is_restarted_while_the_listener_loses_nothing()
    {
        await using var s = await ScenarioHost.StartAsync("DeclaredDead", output);
        await s.RunAsync(async () =>
        {
            await s.StartRelaysAsync(2);
            s.D.StartPublisher("studio", ScenarioHost.Mount, ScenarioHost.Fixture, priority: 100);
            var edge = (await s.StartEdgesAsync(1))[0];
            var listener = (await s.ListenAsync(edge))[0];
            var check = new ScenarioCheck("DeclaredDead", FrameContinuity.ForFile(ScenarioHost.Fixture));
            await s.RunForAsync(ScenarioHost.BeforeFault, edge, listener);

            check.Mark("cut: SIGSTOP relay-b", listener);
            var relayB = s.D["relay-b"].Process;
            relayB.Stop();
            s.Log("relay-b frozen (SIGSTOP)");
            await s.RunForAsync(TimeSpan.FromSeconds(20), edge, listener);
            check.Mark("SIGCONT relay-b", listener);
            relayB.Continue();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int exit = await relayB.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var exited = clock.Elapsed;
            s.Log($"relay-b stopped itself {exited.TotalSeconds:F1} s after it ran again, exit code {exit}");
            Assert.NotEqual(0, exit);

            await Task.Delay(TimeSpan.FromSeconds(2)); // systemd's RestartSec=2
            await s.D.RestartRelayAsync("relay-b");
            var started = clock.Elapsed;
            var back = await ScenarioHost.PollAsync(
                async () => (await EdgeHealth.RelaysAsync(edge, ScenarioHost.Mount))?.Contains("relay-b") == true, TimeSpan.FromSeconds(30));
            s.Log($"relay-b restarted: started {(started - exited).TotalSeconds:F1} s after its exit (2 s of it systemd's pause), "
                + $"carries the mount again {(back is { } b ? $"{(started - exited + b).TotalSeconds:F1} s" : "NOT within 30 s")} after its exit");
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);

            var result = check.Analyze(listener);
            s.Report(result, $"relay-b exit {exited.TotalSeconds:F1} s after SIGCONT (code {exit}); restarted and carrying the mount "
                + $"{(back is { } c ? $"{(started - exited + c).TotalSeconds:F1} s" : "(not seen)")} after its exit");
            ScenarioHost.AssertHitless(result, listener);
            Assert.True(back is not null, "the restarted relay-b did not carry the mount again within 30 s");
        });
    }

    /// <summary>
    /// Production operation on three relays: one leaves by SIGTERM (a planned restart: it must leave the cluster
    /// cleanly and exit 0), then the first one started dies by SIGKILL. The listener hears every frame exactly once.
    /// </summary>
    [Fact]
    public async Task ThreeRelays_sigterm_one_then_kill_the_first_started_is_hitless()
    {
        await using var s = await ScenarioHost.StartAsync("ThreeRelays", output);
        await s.RunAsync(async () =>
        {
            await s.StartRelaysAsync(3);
            s.D.StartPublisher("studio", ScenarioHost.Mount, ScenarioHost.Fixture, priority: 100);
            var edge = (await s.StartEdgesAsync(1))[0];
            var listener = (await s.ListenAsync(edge))[0];
            var check = new ScenarioCheck("ThreeRelays", FrameContinuity.ForFile(ScenarioHost.Fixture));
            await s.RunForAsync(ScenarioHost.BeforeFault, edge, listener);

            check.Mark("SIGTERM relay-b", listener);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var relayB = s.D["relay-b"].Process;
            Assert.True(relayB.Terminate(TimeSpan.FromSeconds(30)), "relay-b did not stop within 30 s of SIGTERM");
            s.Log($"relay-b left after SIGTERM in {clock.Elapsed.TotalSeconds:F1} s with exit code {relayB.ExitCode}");
            Assert.Equal(0, relayB.ExitCode);
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);

            check.Mark("kill -9 relay-a", listener);
            s.D.KillRelay("relay-a");
            s.Log("killed relay-a (the first relay started)");
            await s.RunForAsync(ScenarioHost.AfterFault, edge, listener);

            var result = check.Analyze(listener);
            s.Report(result, await EdgeHealth.SummaryAsync(edge, ScenarioHost.Mount));
            ScenarioHost.AssertHitless(result, listener);
        });
    }
}
