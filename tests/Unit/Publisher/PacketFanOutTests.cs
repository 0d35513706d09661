using Davecast.Publisher.Paths;
using Davecast.Wire;

namespace Davecast.Tests.Publisher;

public sealed class PacketFanOutTests
{
    private static readonly byte[] Secret = "fan-out-secret"u8.ToArray();

    // Keeps what it is given, as a relay would receive it.
    private sealed class RecordingPath(byte pathId) : IPacketPath
    {
        public List<byte[]> Packets { get; } = [];
        public byte PathId => pathId;
        public string Name => $"recording {pathId}";
        public PathStats Stats { get; } = new();
        public void Send(ReadOnlySpan<byte> packet) => Packets.Add(packet.ToArray());
        public Task CompleteAsync(TimeSpan timeout) => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public void Each_path_gets_the_packet_with_its_own_path_id_under_a_valid_tag_and_nothing_else_differs()
    {
        var builder = new PacketBuilder("/live.aac", "studio", "k1", Secret, session: 9);
        var paths = new[] { new RecordingPath(0), new RecordingPath(1), new RecordingPath(4), new RecordingPath(6) };
        var buffer = new byte[Protocol.MaxPacketSize];
        int signed = builder.AudioUnsigned(buffer, sequence: 40, timestampMicros: 1_000, [new byte[] { 1, 2, 3 }, new byte[] { 4 }]);

        PacketFanOut.Send(paths, builder, buffer, signed);

        using var key = new PacketKey(Secret);
        var first = paths[0].Packets.Single();
        foreach (var path in paths)
        {
            var packet = path.Packets.Single();
            Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var view));
            Assert.Equal(path.PathId, view.PathId);
            Assert.Equal(40UL, view.Sequence);
            Assert.True(key.Verify(view), $"path {path.PathId}: tag does not verify");
            // The same bytes but for the path id (offset 5) and the tag.
            Assert.Equal(first.Length, packet.Length);
            for (int i = 0; i < signed; i++)
                if (i != 5) Assert.True(first[i] == packet[i], $"path {path.PathId}: byte {i} differs");
            var direct = new byte[Protocol.MaxPacketSize];
            int n = builder.Audio(direct, path.PathId, 40, 1_000, [new byte[] { 1, 2, 3 }, new byte[] { 4 }]);
            Assert.Equal(direct[..n], packet);
        }
    }

    // Counts and keeps nothing: what a send costs besides the path's own work.
    private sealed class CountingPath(byte pathId) : IPacketPath
    {
        public byte PathId => pathId;
        public string Name => $"counting {pathId}";
        public PathStats Stats { get; } = new();
        public void Send(ReadOnlySpan<byte> packet) => Stats.Sent(packet.Length);
        public Task CompleteAsync(TimeSpan timeout) => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public void Building_once_and_sending_on_every_path_allocates_nothing()
    {
        var builder = new PacketBuilder("/live.aac", "studio", "k1", Secret, session: 9);
        IReadOnlyList<IPacketPath> paths = [new CountingPath(0), new CountingPath(1), new CountingPath(4), new CountingPath(5)];
        var frames = new List<ReadOnlyMemory<byte>> { new byte[200], new byte[210] };
        var buffer = new byte[Protocol.MaxPacketSize];
        for (int i = 0; i < 100; i++) PacketFanOut.Send(paths, builder, buffer, builder.AudioUnsigned(buffer, (ulong)i, i, frames));

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) PacketFanOut.Send(paths, builder, buffer, builder.AudioUnsigned(buffer, (ulong)i, i, frames));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.All(paths, p => Assert.Equal(10_100, p.Stats.Packets));
    }

    [Fact]
    public void A_control_packet_built_once_verifies_on_every_path()
    {
        var builder = new PacketBuilder("/live.aac", "studio", "k1", Secret, session: 9);
        var paths = new[] { new RecordingPath(2), new RecordingPath(5) };
        var buffer = new byte[Protocol.MaxPacketSize];
        PacketFanOut.Send(paths, builder, buffer, builder.HeartbeatUnsigned(buffer, counter: 3, timestampMicros: 7, nextSequence: 100));

        using var key = new PacketKey(Secret);
        foreach (var path in paths)
        {
            Assert.Equal(RejectReason.None, PacketCodec.TryParse(path.Packets.Single(), out var view));
            Assert.Equal(PacketType.Heartbeat, view.Type);
            Assert.Equal(path.PathId, view.PathId);
            Assert.True(key.Verify(view));
        }
    }
}
