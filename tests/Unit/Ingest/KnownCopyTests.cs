using System.Text;
using Davecast.Frames;
using Davecast.Silo.Ingest;
using Davecast.Tests.Support;
using Davecast.Wire;

namespace Davecast.Tests.Ingest;

/// <summary>Copies of frames a relay already kept are dropped before their tag is checked; nothing else is.</summary>
public sealed class KnownCopyTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes(Protocol.DevelopmentSecret);
    private static readonly byte[] WrongSecret = Encoding.UTF8.GetBytes("not the publisher's secret");

    private static RejectReason Send(AcceptingRelay relay, byte[] secret, byte path, ulong sequence, byte[] frame)
    {
        var builder = new PacketBuilder("m.mp3", "enc-a", Protocol.DevelopmentKeyId, secret, 42);
        var buffer = new byte[Protocol.MaxPacketSize];
        int n = builder.Audio(buffer, path, sequence, 1_767_225_600_000_000 + (long)sequence * 26_122, [frame]);
        return relay.Acceptor.Accept(buffer.AsSpan(0, n), IngestTransport.Udp, out _, out _, out _);
    }

    [Fact]
    public void A_copy_of_kept_frames_with_a_bad_tag_is_a_duplicate_and_new_frames_with_a_bad_tag_are_refused()
    {
        var relay = new AcceptingRelay();
        var frames = FrameFile.ReadAll(Repo.Fixture("programme.mp3"));
        Assert.Equal(RejectReason.None, Send(relay, Secret, 0, 7, frames[0].Data));

        // The same sequence again, with a tag made by another secret: dropped as a copy, the kept frame unchanged.
        Assert.Equal(RejectReason.None, Send(relay, WrongSecret, 1, 7, frames[1].Data));
        var encoder = relay.OnlyEncoder;
        Assert.Equal(1, encoder.Duplicates);
        Assert.True(encoder.Ring.TryGet(7, out var kept, out _));
        Assert.Equal(frames[0].Data, kept.ToArray());

        // A frame not kept yet still needs the publisher's tag.
        Assert.Equal(RejectReason.BadTag, Send(relay, WrongSecret, 1, 8, frames[1].Data));
        Assert.False(encoder.Ring.TryGet(8, out _, out _));
        Assert.Equal(1, encoder.FramesAccepted);
        Assert.Equal(RejectReason.None, Send(relay, Secret, 1, 8, frames[1].Data));
        Assert.Equal(2, encoder.FramesAccepted);
    }
}
