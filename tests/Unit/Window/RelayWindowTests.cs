using System.Text;
using Davecast.Frames;
using Davecast.Tests.Ingest;
using Davecast.Tests.Support;
using Davecast.Wire;

namespace Davecast.Tests.Window;

/// <summary>The relay's window, fed packets directly: windows sized to the codec, copies kept once.</summary>
public sealed class RelayWindowTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("mount-table-test");

    // Frame i of the fixture (looped) as sequence i, over two paths, as a publisher sends it.
    private static void Publish(AcceptingRelay relay, string mount, string fixture, int frames)
    {
        var source = FrameFile.ReadAll(Repo.Fixture(fixture));
        var builder = new PacketBuilder(mount, "enc-a", "k", Key, 42);
        var buffer = new byte[Protocol.MaxPacketSize];
        long micros = source[0].Parameters.FrameDurationMicros;
        for (int i = 0; i < frames; i++)
        {
            for (byte path = 0; path < 2; path++)
            {
                int n = builder.Audio(buffer, path, (ulong)i, 1_767_225_600_000_000 + i * micros, [source[i % source.Count].Data]);
                relay.Take(buffer.AsSpan(0, n));
            }
        }
    }

    [Theory]
    [InlineData("programme.aac", 10, 517)]
    [InlineData("programme.mp3", 10, 460)]
    [InlineData("programme.mp3", 30, 1225)]
    [InlineData("programme.mp3", 300, 2048)]
    public void Each_encoders_ring_fits_its_window_of_that_codec(string fixture, double window, int slots)
    {
        var relay = new AcceptingRelay(window);
        Publish(relay, "m." + Path.GetExtension(fixture).TrimStart('.'), fixture, 3);
        Assert.Equal(slots, relay.OnlyEncoder.Ring.Capacity);
    }

    [Fact]
    public void A_later_path_copy_of_kept_frames_is_counted_without_being_parsed_again()
    {
        var relay = new AcceptingRelay(10);
        var frame = FrameFile.ReadAll(Repo.Fixture("programme.mp3"))[0].Data;
        var builder = new PacketBuilder("m.mp3", "enc-a", "k", Key, 42);
        var buffer = new byte[Protocol.MaxPacketSize];
        int n = builder.Audio(buffer, 0, 7, 1_767_225_600_000_000, [frame]);
        relay.Take(buffer.AsSpan(0, n));

        // The second path's copy of the same sequence, with bytes that are no frame but a valid tag: had it been
        // parsed, it would have been refused as a bad frame.
        var garbage = new byte[frame.Length];
        n = builder.Audio(buffer, 1, 7, 1_767_225_600_000_000, [garbage]);
        relay.Take(buffer.AsSpan(0, n));
        // A copy of a frame not kept yet is still parsed, and refused.
        n = builder.Audio(buffer, 1, 8, 1_767_225_600_026_122, [garbage]);
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(buffer.AsSpan(0, n), out var view));
        Assert.Equal(RejectReason.BadFrame, relay.Acceptor.Take(view, out _));

        var encoder = relay.OnlyEncoder;
        Assert.Equal(1, encoder.FramesAccepted);
        Assert.Equal(1, encoder.Duplicates);
        Assert.Equal(frame, relay.Window.GetFrames("m.mp3", "enc-a", 42, 0, 16).Frames!.Frame(0).ToArray());
    }

    [Fact]
    public void After_the_ring_wraps_the_window_still_serves_its_newest_frames_once_each()
    {
        var relay = new AcceptingRelay(10);
        Publish(relay, "m.mp3", "programme.mp3", 1500);
        var encoder = relay.OnlyEncoder;
        Assert.Equal(1500, encoder.FramesAccepted);
        Assert.Equal(1500, encoder.Duplicates);

        var slice = relay.Window.GetFrames("m.mp3", "enc-a", 42, 0, 2048);
        Assert.NotNull(slice.Frames);
        Assert.Equal(1499UL, slice.NewestSequence);
        int slots = encoder.Ring.Capacity;
        Assert.Equal(slots, slice.Frames!.Count);
        Assert.Equal(Enumerable.Range(1500 - slots, slots).Select(i => (ulong)i), slice.Frames.Sequences);
        var source = FrameFile.ReadAll(Repo.Fixture("programme.mp3"));
        for (int i = 0; i < slice.Frames.Count; i++)
            Assert.Equal(source[(int)(slice.Frames.Sequences[i] % (ulong)source.Count)].Data, slice.Frames.Frame(i).ToArray());
    }
}
