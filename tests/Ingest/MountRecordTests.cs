using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Ingest;

/// <summary>What a mount keeps in grain storage (Redis) survives a restart of the whole cluster.</summary>
[Collection(ProcessCollection.Name)]
public sealed class MountRecordTests(ITestOutputHelper output)
{
    [Fact]
    public async Task After_the_whole_cluster_restarts_a_mount_still_refuses_an_encoder_with_other_codec_parameters()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var d = new Deployment { Redis = redis.ConnectionString };
        try
        {
            await d.StartRelayAsync("relay-a");
            var studio = d.StartPublisher("studio", "kept.mp3", Repo.Fixture("programme.mp3"), priority: 100);
            await d["relay-a"].Process.WaitForOutputAsync("live encoder (none) -> studio", TimeSpan.FromSeconds(30));
            // The record is written on the report after the first announce: it is in Redis before the cluster goes.
            await Wait.UntilAsync(async () => (await redis.KeysAsync("*kept.mp3*")).Count > 0, TimeSpan.FromSeconds(10), "the mount's record in Redis");
            studio.Kill9();
            d.KillRelay("relay-a");

            // A new cluster (same Redis, same cluster id); only an AAC encoder comes back for the MP3 mount.
            var relay = await d.RestartRelayAsync("relay-a");
            var other = d.StartPublisher("music", "kept.mp3", Repo.Fixture("programme.aac"), priority: 200);
            await other.WaitForOutputAsync("refuses encoder music on mount /kept.mp3", TimeSpan.FromSeconds(30));
            Assert.Contains("restored codec parameters MPEG-1 Layer III 44100 Hz", relay.Process.Output);
            Assert.Contains("codec parameters", other.Output);
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }
}
