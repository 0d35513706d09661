using Davecast.Frames;

namespace Davecast.Tests.Edge;

/// <summary>A byte store's newest frames read back after more than 4 GiB of stream (positions kept as 32 bits).</summary>
internal static class PastFourGiB
{
    public delegate bool Reader(in FrameBytes.Place place, out ReadOnlyMemory<byte> data);

    /// <summary>Puts 1.1 million numbered frames of 4,000 bytes and checks that the newest 8 read back.</summary>
    public static void Check(Func<byte[], FrameBytes.Place> put, Reader read)
    {
        var frame = new byte[4000];
        var places = new FrameBytes.Place[8];
        for (int i = 0; i < 1_100_000; i++)
        {
            BitConverter.TryWriteBytes(frame, i);
            places[i % 8] = put(frame);
        }
        Assert.True(places[0].Position > uint.MaxValue);
        for (int i = 1_100_000 - 8; i < 1_100_000; i++)
        {
            Assert.True(read(places[i % 8], out var data), $"frame {i}");
            Assert.Equal(i, BitConverter.ToInt32(data.Span));
        }
    }
}
