using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Davecast.Bench.Load;

public sealed record OriginalLoadOptions
{
    public required IReadOnlyList<IPEndPoint> Relays { get; init; }
    public required IReadOnlyList<MountSpec> Mounts { get; init; }
    public int EncodersPerMount { get; init; } = 2;
    /// <summary>The generator stops by itself after this long, whatever else happens.</summary>
    public required TimeSpan Duration { get; init; }
    public int Threads { get; init; } = 2;
    /// <summary>Mount start times are spread over this span, so that datagrams do not all fall due at once.</summary>
    public TimeSpan Spread { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>An announcement goes before every Nth frame of an encoder (its first frame included).</summary>
    public int AnnounceEvery { get; init; } = 40;
}

public sealed record OriginalLoadReport(
    int Mounts,
    int Encoders,
    double Seconds,
    long FramesSent,
    long Announcements,
    long Datagrams,
    long Bytes,
    long SendErrors,
    Histogram.Summary SendLateness);

/// <summary>
/// Publishes many mounts to the original Davecast's relays in its own wire protocol (<see cref="OriginalPdu"/>), on
/// the shape of <see cref="LoadGenerator"/>: per mount, encoders of the same fixture with the same start time, every
/// frame paced in real time and sent over UDP to every relay (replica = the relay's index), an announcement before
/// every 40th frame. Each encoder has a random stream id and one sequence counter for all its PDUs. A few threads
/// each own a share of the mounts, with one UDP socket per relay, and send what is due every millisecond or so.
/// </summary>
public sealed class OriginalProtocolLoad(OriginalLoadOptions options) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public void Stop() => _stop.Cancel();

    /// <summary>Sends until <see cref="Stop"/> or the duration is over.</summary>
    public OriginalLoadReport Run()
    {
        long started = Stopwatch.GetTimestamp();
        long first = started + Stopwatch.Frequency / 5;
        long spread = (long)(options.Spread.TotalSeconds * Stopwatch.Frequency);
        long end = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        int mounts = options.Mounts.Count;
        var encoders = new List<OriginalEncoder>();
        for (int m = 0; m < mounts; m++)
        {
            long start = first + (mounts <= 1 ? 0 : spread * m / mounts);
            for (int e = 0; e < options.EncodersPerMount; e++) encoders.Add(new OriginalEncoder(m, options.Mounts[m], start));
        }
        int threads = Math.Max(1, Math.Min(options.Threads, mounts));
        var workers = Enumerable.Range(0, threads)
            .Select(t => new Worker([.. encoders.Where(e => e.MountIndex % threads == t)], options, end, _stop.Token))
            .ToArray();
        var running = workers.Select((w, t) => new Thread(w.Run) { IsBackground = true, Name = $"original-load-{t}" }).ToArray();
        foreach (var t in running) t.Start();
        foreach (var t in running) t.Join();
        var lateness = new Histogram();
        foreach (var w in workers) lateness.Merge(w.Lateness);
        return new OriginalLoadReport(
            Mounts: mounts,
            Encoders: encoders.Count,
            Seconds: Stopwatch.GetElapsedTime(started).TotalSeconds,
            FramesSent: encoders.Sum(e => e.FramesSent),
            Announcements: workers.Sum(w => w.Announcements),
            Datagrams: workers.Sum(w => w.Datagrams),
            Bytes: workers.Sum(w => w.Bytes),
            SendErrors: workers.Sum(w => w.SendErrors),
            SendLateness: lateness.Summarize());
    }

    public void Dispose() => _stop.Dispose();

    private sealed class Worker(OriginalEncoder[] encoders, OriginalLoadOptions options, long endTicks, CancellationToken stop)
    {
        private readonly byte[] _pdu = new byte[OriginalPdu.HeaderSize + 64 * 1024];

        public Histogram Lateness { get; } = new();
        public long Announcements, Datagrams, Bytes, SendErrors;

        public void Run()
        {
            var sockets = options.Relays.Select(relay =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
                s.Connect(relay);
                return s;
            }).ToArray();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    long now = Stopwatch.GetTimestamp();
                    if (now >= endTicks) break;
                    foreach (var e in encoders)
                    {
                        while (e.DueTicks <= now)
                        {
                            Lateness.Add((now - e.DueTicks) * 1000.0 / Stopwatch.Frequency);
                            SendFrame(e, sockets);
                        }
                    }
                    Thread.Sleep(1);
                }
            }
            finally
            {
                foreach (var s in sockets) s.Dispose();
            }
        }

        private void SendFrame(OriginalEncoder e, Socket[] sockets)
        {
            if (e.FramesSent % options.AnnounceEvery == 0)
            {
                Broadcast(e, OriginalPdu.Announce, e.AnnounceBody, sockets);
                Announcements++;
            }
            var programme = e.Mount.Programme;
            Broadcast(e, OriginalPdu.Audio, programme.Frames[(int)(e.FramesSent % programme.Count)], sockets);
            e.FramesSent++;
        }

        // The same PDU (one sequence number) to every relay, each with its replica number.
        private void Broadcast(OriginalEncoder e, byte type, ReadOnlySpan<byte> body, Socket[] sockets)
        {
            ulong sequence = e.NextSequence++;
            for (int r = 0; r < sockets.Length; r++)
            {
                int n = OriginalPdu.Write(_pdu, type, (byte)r, e.StreamId, sequence, body);
                sockets[r].Send(_pdu.AsSpan(0, n), SocketFlags.None, out var error);
                if (error != SocketError.Success)
                {
                    SendErrors++;
                    continue;
                }
                Datagrams++;
                Bytes += n;
            }
        }
    }

    /// <summary>One encoder: its stream id, sequence counter and frames sent (touched by its worker thread only).</summary>
    private sealed class OriginalEncoder(int mountIndex, MountSpec mount, long startTicks)
    {
        public int MountIndex { get; } = mountIndex;
        public MountSpec Mount { get; } = mount;
        public byte[] StreamId { get; } = RandomNumberGenerator.GetBytes(OriginalPdu.StreamIdSize);
        public byte[] AnnounceBody { get; } =
            [OriginalPdu.StreamType(mount.Programme.Parameters.Codec), .. Encoding.ASCII.GetBytes(mount.Name)];
        public ulong NextSequence = 1;
        public long FramesSent;

        public long DueTicks => startTicks + Mount.Programme.OffsetMicros((ulong)FramesSent) * Stopwatch.Frequency / 1_000_000;
    }
}
