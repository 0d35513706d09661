using System.Text;
using Davecast.Frames;
using Davecast.Silo.Ingest;
using Davecast.Tests.Support;
using Davecast.Wire;

namespace Davecast.Tests.Ingest;

/// <summary>What a relay reports to the election about an encoder session's first frame.</summary>
public sealed class ElectionReportTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("election-report-test");
    private const long Start = 1_767_225_600_123_456;

    [Fact]
    public void Election_report_carries_the_lowest_sequence_accepted_and_its_media_timestamp_whatever_the_arrival_order()
    {
        var relay = new AcceptingRelay(10);
        var source = FrameFile.ReadAll(Repo.Fixture("programme.mp3"));
        long micros = source[0].Parameters.FrameDurationMicros;
        var builder = new PacketBuilder("m.mp3", "enc-a", "k", Key, 42);
        var buffer = new byte[Protocol.MaxPacketSize];
        EncoderState Encoder() => relay.OnlyEncoder;

        // A packet of `count` frames from `sequence` on, stamped as a publisher stamps it (its first frame's time).
        void Send(byte path, int sequence, int count = 1)
        {
            var frames = Enumerable.Range(sequence, count).Select(i => (ReadOnlyMemory<byte>)source[i % source.Count].Data).ToArray();
            int n = builder.Audio(buffer, path, (ulong)sequence, Start + sequence * micros, frames);
            relay.Take(buffer.AsSpan(0, n));
        }

        Send(0, 10, count: 2);
        Assert.Equal((10UL, Start + 10 * micros), (Encoder().Report().FirstSequence, Encoder().Report().FirstTimestampMicros));

        Send(0, 12);
        Send(1, 10, count: 2); // the copy over the other path: duplicates change nothing
        Assert.Equal((10UL, Start + 10 * micros), (Encoder().Report().FirstSequence, Encoder().Report().FirstTimestampMicros));

        Send(0, 6, count: 3); // late, and lower: frames 6, 7, 8
        var report = Encoder().Report();
        Assert.Equal(6UL, report.FirstSequence);
        Assert.Equal(Start + 6 * micros, report.FirstTimestampMicros);
        Assert.Equal(6, report.FramesAccepted);
        Assert.Equal(12UL, report.LastSequence);
        Assert.Equal(Start + 12 * micros, report.LastTimestampMicros);
    }
}
