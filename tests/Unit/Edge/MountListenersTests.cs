using Davecast.Edge.Listeners;

namespace Davecast.Tests.Edge;

public class MountListenersTests
{
    [Fact]
    public void Only_a_listener_whose_stream_has_started_and_fallen_behind_is_dropped_as_slow()
    {
        var listeners = new MountListeners(10);
        var admitted = new ListenerSession("m.mp3", "127.0.0.1:1000", icyMetadata: false);
        var behind = new ListenerSession("m.mp3", "127.0.0.1:1001", icyMetadata: false) { TakenOffset = 1_000 };
        var keeping = new ListenerSession("m.mp3", "127.0.0.1:1002", icyMetadata: false) { TakenOffset = 2_300_000 };
        Assert.True(listeners.TryAdd(admitted));
        Assert.True(listeners.TryAdd(behind));
        Assert.True(listeners.TryAdd(keeping));

        // Two and a half megabytes into the mount's stream, with a 512 KiB queue limit: the listener admitted a moment
        // ago (its hook and headers still on the way) has nothing queued yet.
        listeners.DropSlow(2_600_000, 512 * 1024);

        Assert.Equal(-1, admitted.DroppedWithQueue);
        Assert.False(admitted.Ended);
        Assert.Equal(2_599_000, behind.DroppedWithQueue);
        Assert.True(behind.Ended);
        Assert.Equal(-1, keeping.DroppedWithQueue);
    }
}
