using System.Text;
using Davecast.Wire;

namespace Davecast.Tests.Wire;

public sealed class PacketBuilderTests
{
    [Fact]
    public void Building_audio_packets_allocates_nothing()
    {
        var builder = new PacketBuilder("/live.aac", "studio", "dev", Encoding.UTF8.GetBytes("secret"), session: 1);
        var frames = new List<ReadOnlyMemory<byte>> { new byte[200], new byte[210], new byte[190] };
        var buffer = new byte[Protocol.MaxPacketSize];
        for (int i = 0; i < 100; i++) builder.Audio(buffer, 0, (ulong)i, i, frames);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) builder.Audio(buffer, (byte)(i & 7), (ulong)i, i, frames);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
