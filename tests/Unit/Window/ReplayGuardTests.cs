using Davecast.Silo.Window;
using Davecast.Wire;

namespace Davecast.Tests.Window;

public class ReplayGuardTests
{
    [Fact]
    public void The_same_packet_on_the_same_path_is_a_replay_but_its_copies_on_other_paths_are_not()
    {
        var guard = new ReplayGuard();
        Assert.True(guard.Offer(0, PacketType.Audio, 100));
        Assert.True(guard.Offer(1, PacketType.Audio, 100));
        Assert.True(guard.Offer(4, PacketType.Audio, 100));
        Assert.False(guard.Offer(0, PacketType.Audio, 100));
        Assert.False(guard.Offer(4, PacketType.Audio, 100));
        // Each packet type counts on its own: a heartbeat numbered 100 is not audio packet 100.
        Assert.True(guard.Offer(0, PacketType.Heartbeat, 100));
        Assert.False(guard.Offer(0, PacketType.Heartbeat, 100));
    }

    [Fact]
    public void Reordering_within_the_window_is_accepted_and_anything_older_than_it_is_refused()
    {
        var guard = new ReplayGuard(window: 64);
        Assert.True(guard.Offer(0, PacketType.Audio, 10));
        Assert.True(guard.Offer(0, PacketType.Audio, 12));
        Assert.True(guard.Offer(0, PacketType.Audio, 11));
        Assert.False(guard.Offer(0, PacketType.Audio, 11));
        Assert.True(guard.Offer(0, PacketType.Audio, 200));
        Assert.True(guard.Offer(0, PacketType.Audio, 150));
        // 100 is more than the window behind 200: it cannot be told from a replay.
        Assert.False(guard.Offer(0, PacketType.Audio, 100));
    }
}
