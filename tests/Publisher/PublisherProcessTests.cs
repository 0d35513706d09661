using Davecast.Tests.Support;
using Davecast.Wire;

namespace Davecast.Tests.Publisher;

/// <summary>The built davecast-publisher as a real process: stdin as the source, and SIGTERM.</summary>
[Collection(ProcessCollection.Name)]
public sealed class PublisherProcessTests
{
    [Fact]
    public async Task Frames_piped_into_stdin_are_all_sent_and_the_program_exits_0_at_their_end()
    {
        using var audio = TestAudio.Cut("programme.mp3", 1);
        await using var relay = FakeRelay.Start();
        using var publisher = Start("--mount", "pipe.mp3", "--relay", relay.Address, "--stdin", "--transport", "udp");

        await publisher.StandardInput.WriteAsync(await File.ReadAllBytesAsync(audio.Path));
        await publisher.StandardInput.DisposeAsync();

        Assert.True(0 == await publisher.WaitForExitAsync(TimeSpan.FromSeconds(20)), publisher.Output);
        await Wait.UntilAsync(() => LastHeartbeat(relay.Udp) == (ulong)audio.Frames.Count, TimeSpan.FromSeconds(5), "the last heartbeat");
        var frames = relay.Udp.Select(p => p.Packet).Where(p => p.Type == PacketType.Audio).ToList();
        Assert.Equal(Enumerable.Range(0, audio.Frames.Count).Select(i => (ulong)i), frames.Select(p => p.Sequence));
        Assert.Equal(audio.Frames.Select(f => f.Data), frames.Select(p => Assert.Single(p.Frames)));
    }

    [Fact]
    public async Task Sigterm_stops_the_program_cleanly_with_exit_code_0()
    {
        using var audio = TestAudio.Cut("programme.aac", 1);
        await using var relay = FakeRelay.Start();
        using var publisher = Start("--mount", "term.aac", "--relay", relay.Address, "--file", audio.Path, "--loop");

        await Wait.UntilAsync(() => relay.Tcp.Count(p => p.Packet.Type == PacketType.Audio) >= 10, TimeSpan.FromSeconds(20), "frames on TCP");
        Assert.True(publisher.Terminate(TimeSpan.FromSeconds(10)), "still running 10 s after SIGTERM");
        Assert.True(publisher.ExitCode == 0, publisher.Output);

        // It said goodbye: its last heartbeat names the frame after the last one sent.
        await Wait.UntilAsync(() => relay.EndedConnections == relay.Connections, TimeSpan.FromSeconds(5), "the TCP connection to close");
        ulong last = relay.Tcp.Select(p => p.Packet).Where(p => p.Type == PacketType.Audio).Max(p => p.Sequence);
        Assert.Equal(last + 1, LastHeartbeat(relay.Tcp));
        Assert.Contains("Stopping", publisher.Output);
    }

    // The fake relay knows the development key, which a publisher takes only in Development.
    private static ChildProcess Start(params string[] args) =>
        new("publisher", "dotnet", [Repo.ProgramDll("publisher", "davecast-publisher"), .. args, "--stats-interval", "0"],
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });

    private static ulong? LastHeartbeat(IEnumerable<WirePacket> packets) =>
        packets.Select(p => p.Packet).LastOrDefault(p => p.Type == PacketType.Heartbeat) is { } h && Heartbeat.TryRead(h.Payload, out var next)
            ? next
            : null;
}
