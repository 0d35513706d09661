using Davecast.Publisher.Paths;
using Davecast.Wire;

namespace Davecast.Publisher.Publishing;

/// <summary>
/// Sends the control packets on every path: Announce every second, Heartbeat every 500 ms and the title
/// (Metadata) every 5 s. Each type numbers its packets with its own counter; one emission is built once and carries
/// the same number on every path. Control packets are stamped with the media time of the next frame.
/// </summary>
/// <param name="announce">The Announce payload, until <see cref="SetAnnounce"/> replaces it.</param>
public sealed class ControlSender(PacketBuilder builder, IReadOnlyList<IPacketPath> paths, byte[] announce, SendPosition position)
{
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);
    private const int AnnounceTicks = 2;
    private const int TitleTicks = 10;

    private readonly Lock _gate = new();
    private readonly byte[] _buffer = new byte[Protocol.MaxPacketSize];
    private byte[] _announce = announce;
    private byte[]? _title;
    private ulong _announces;
    private ulong _heartbeats;
    private ulong _titles;

    public void SendAnnounce()
    {
        lock (_gate) Broadcast(PacketType.Announce, _announces++, _announce);
    }

    /// <summary>Replaces the Announce payload (new headers learned by the source) and sends it at once.</summary>
    public void SetAnnounce(byte[] payload)
    {
        lock (_gate)
        {
            _announce = payload;
            Broadcast(PacketType.Announce, _announces++, _announce);
        }
    }

    public void SendHeartbeat()
    {
        lock (_gate)
        {
            var (next, timestamp) = position.Read();
            int signed = builder.HeartbeatUnsigned(_buffer, _heartbeats++, timestamp, next);
            PacketFanOut.Send(paths, builder, _buffer, signed);
        }
    }

    /// <summary>Sets the stream title from the next frame to be sent on, and sends it at once.</summary>
    public void SetTitle(string title) => SetTitle(title, position.Read().NextSequence);

    /// <summary>
    /// Sets the stream title from frame <paramref name="fromSequence"/> on, and sends it at once: call it before
    /// the packet that carries that frame, so that a relay knows the title when the frame arrives.
    /// </summary>
    public void SetTitle(string title, ulong fromSequence)
    {
        lock (_gate)
        {
            _title = new TitleUpdate(fromSequence, title).Encode();
            Broadcast(PacketType.Metadata, _titles++, _title);
        }
    }

    /// <summary>Repeats the control packets until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Tick);
        long ticks = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                ticks++;
                SendHeartbeat();
                if (ticks % AnnounceTicks == 0) SendAnnounce();
                if (ticks % TitleTicks == 0)
                {
                    lock (_gate)
                    {
                        if (_title is not null) Broadcast(PacketType.Metadata, _titles++, _title);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Broadcast(PacketType type, ulong counter, byte[] payload)
    {
        int signed = builder.ControlUnsigned(_buffer, type, counter, position.Read().NextTimestampMicros, payload);
        PacketFanOut.Send(paths, builder, _buffer, signed);
    }
}
