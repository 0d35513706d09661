using Davecast.Silo.Window;

namespace Davecast.Tests.Window;

/// <summary>The relay's frame ring: slots by sequence, frames kept whole when a longer one widens every slot.</summary>
public sealed class FrameRingTests
{
    private static byte[] Frame(int sequence, int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(sequence * 7 + i))];

    [Fact]
    public void A_longer_frame_widens_the_slots_and_keeps_every_frame_held()
    {
        var ring = new FrameRing(20);
        for (int s = 0; s < 30; s++)
        {
            int length = s == 25 ? 900 : 100 + s;
            ring.Put((ulong)s, s * 1000, 26_122, (ulong)s * 3, Frame(s, length));
        }
        Assert.Equal(20, ring.Count);
        Assert.Equal(29UL, ring.Newest);
        for (int s = 10; s < 30; s++)
        {
            Assert.True(ring.TryGet((ulong)s, out var frame, out long ts, out int duration, out ulong hash));
            Assert.Equal(Frame(s, s == 25 ? 900 : 100 + s), frame.ToArray());
            Assert.Equal((s * 1000, 26_122, (ulong)s * 3), (ts, duration, hash));
        }
        Assert.False(ring.TryGet(9, out _, out _), "slot 9 was taken over by sequence 29");
    }

    [Fact]
    public void Frames_stamped_before_a_time_are_dropped()
    {
        var ring = new FrameRing(16);
        for (int s = 0; s < 10; s++) ring.Put((ulong)s, s * 1000, 1000, 0, Frame(s, 50));
        ring.DropOlderThan(4000);
        Assert.Equal(6, ring.Count);
        Assert.False(ring.TryGet(3, out _, out _));
        Assert.True(ring.TryGet(4, out var f, out _));
        Assert.Equal(Frame(4, 50), f.ToArray());
    }
}
