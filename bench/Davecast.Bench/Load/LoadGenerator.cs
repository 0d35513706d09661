using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Davecast.Wire;

namespace Davecast.Bench.Load;

/// <summary>A mount the generator publishes: its name and the fixture its encoders play.</summary>
public sealed record MountSpec(string Name, Programme Programme);

public sealed record LoadOptions
{
    public required IReadOnlyList<IPEndPoint> Relays { get; init; }
    public required IReadOnlyList<MountSpec> Mounts { get; init; }
    public int EncodersPerMount { get; init; } = 2;
    public required string KeyId { get; init; }
    public required string Key { get; init; }
    /// <summary>The generator stops by itself after this long, whatever else happens.</summary>
    public required TimeSpan Duration { get; init; }
    public int Threads { get; init; } = 2;
    public bool Udp { get; init; } = true;
    public bool Tcp { get; init; } = true;
    /// <summary>Mount start times are spread over this span, so that packets do not all fall due at once.</summary>
    public TimeSpan Spread { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Keep the time each frame of these mounts was first sent (for latency).</summary>
    public int StampedMounts { get; init; }
    /// <summary>Frames per audio packet, as the publisher's <c>--frames-per-packet</c>: a packet leaves when its last frame is due.</summary>
    public int FramesPerPacket { get; init; } = 1;
}

/// <summary>
/// Publishes many mounts from one process, as that many pairs of publishers would: per mount two encoders
/// (priorities 200 and 100) of the same fixture with the same start time, each sending every frame, paced in
/// real time, over UDP and over TCP to every relay, with the publisher's control packets (Announce every second,
/// Heartbeat every 500 ms). Packets are built and signed with core's <see cref="PacketBuilder"/>, one frame per
/// packet (the publisher's default); path ids are relay index × 4 + 0 (UDP) or + 1 (TCP), as the publisher's.
/// Worker threads each own a share of the mounts and send what is due every millisecond or so.
/// </summary>
public sealed class LoadGenerator : IDisposable
{
    private static readonly long ControlTicks = Stopwatch.Frequency / 2;

    private readonly LoadOptions _options;
    private readonly List<MountLoad> _mounts = [];
    private readonly CancellationTokenSource _stop = new();
    private long _startedTicks;

    public LoadGenerator(LoadOptions options)
    {
        _options = options;
    }

    public IReadOnlyList<MountLoad> Mounts => _mounts;

    public CancellationToken Stopping => _stop.Token;

    public void Stop() => _stop.Cancel();

    /// <summary>Opens every encoder's sockets (one UDP socket, one TCP connection per relay) and plans start times.</summary>
    public async Task ConnectAsync(TextWriter log)
    {
        var key = Encoding.UTF8.GetBytes(_options.Key);
        long sessionBase = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        var targets = _options.Relays.Select(r => r.Serialize()).ToArray();
        int stamped = 0;
        for (int m = 0; m < _options.Mounts.Count; m++)
        {
            var spec = _options.Mounts[m];
            var mount = new MountLoad(m, spec.Name, spec.Programme, stamped++ < _options.StampedMounts ? FramesFor(spec.Programme) : null);
            for (int e = 0; e < _options.EncodersPerMount; e++)
            {
                string id = $"enc-{(char)('a' + e)}";
                int priority = e == 0 ? 200 : 101 - e;
                var encoder = new EncoderLoad(mount, id, priority, (ulong)(sessionBase + m * 16 + e), key, _options.KeyId, targets);
                mount.Encoders.Add(encoder);
            }
            _mounts.Add(mount);
        }

        if (_options.Tcp)
        {
            // A few connections at a time: the relay's accept backlog is 256.
            using var gate = new SemaphoreSlim(32);
            var connects = new List<Task>();
            foreach (var encoder in _mounts.SelectMany(m => m.Encoders))
            {
                for (int r = 0; r < _options.Relays.Count; r++)
                {
                    var relay = _options.Relays[r];
                    var conn = encoder.Tcp[r] = new TcpConn();
                    await gate.WaitAsync();
                    connects.Add(Task.Run(async () =>
                    {
                        try
                        {
                            await conn.ConnectAsync(relay);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    }));
                }
            }
            await Task.WhenAll(connects);
            int dead = _mounts.Sum(m => m.Encoders.Sum(e => e.Tcp.Count(c => c is { Dead: true })));
            if (dead > 0) log.WriteLine($"load: {dead} TCP connection(s) failed");
        }
        log.WriteLine($"load: {_mounts.Count} mounts, {_mounts.Sum(m => m.Encoders.Count)} encoders, {_options.Relays.Count} relays, "
            + $"{(_options.Udp ? "UDP" : "")}{(_options.Udp && _options.Tcp ? "+" : "")}{(_options.Tcp ? "TCP" : "")}");
    }

    private int FramesFor(Programme p) => (int)(_options.Duration.TotalSeconds * p.FramesPerSecond) + 256;

    /// <summary>Sends until <see cref="Stop"/> or the duration is over.</summary>
    public LoadReport Run()
    {
        _startedTicks = Stopwatch.GetTimestamp();
        long startMicros = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond + 200_000;
        long startTicks = _startedTicks + Stopwatch.Frequency / 5;
        long spreadTicks = (long)(_options.Spread.TotalSeconds * Stopwatch.Frequency);
        for (int m = 0; m < _mounts.Count; m++)
        {
            long offset = _mounts.Count <= 1 ? 0 : spreadTicks * m / _mounts.Count;
            _mounts[m].Start(startTicks + offset, startMicros + offset * 1_000_000 / Stopwatch.Frequency);
        }
        long endTicks = _startedTicks + (long)(_options.Duration.TotalSeconds * Stopwatch.Frequency);
        int threads = Math.Max(1, Math.Min(_options.Threads, _mounts.Count));
        var workers = new Worker[threads];
        var running = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            var mine = _mounts.Where(m => m.Index % threads == t).SelectMany(m => m.Encoders).ToArray();
            workers[t] = new Worker(mine, _options, endTicks, _stop.Token);
            running[t] = new Thread(workers[t].Run) { IsBackground = true, Name = $"load-{t}" };
            running[t].Start();
        }
        foreach (var t in running) t.Join();
        var lateness = new Histogram();
        foreach (var w in workers) lateness.Merge(w.Lateness);
        var all = _mounts.SelectMany(m => m.Encoders).ToList();
        return new LoadReport(
            Mounts: _mounts.Count,
            Encoders: all.Count,
            Seconds: Stopwatch.GetElapsedTime(_startedTicks).TotalSeconds,
            FramesSent: all.Sum(e => (long)e.NextSequence),
            UdpPackets: all.Sum(e => e.UdpPackets),
            TcpPackets: all.Sum(e => e.TcpPackets),
            Bytes: all.Sum(e => e.Bytes),
            UdpErrors: all.Sum(e => e.UdpErrors),
            TcpDropped: all.Sum(e => e.Tcp.Sum(c => c?.Dropped ?? 0)),
            TcpDead: all.Sum(e => e.Tcp.Count(c => c is { Dead: true })),
            SendLateness: lateness.Summarize());
    }

    public void Dispose()
    {
        foreach (var e in _mounts.SelectMany(m => m.Encoders)) e.Dispose();
        _stop.Dispose();
    }

    private sealed class Worker(EncoderLoad[] encoders, LoadOptions options, long endTicks, CancellationToken stop)
    {
        private readonly byte[] _packet = new byte[Protocol.MaxPacketSize + StreamFraming.PrefixSize];
        private readonly ReadOnlyMemory<byte>[] _one = new ReadOnlyMemory<byte>[options.FramesPerPacket];

        public Histogram Lateness { get; } = new();

        public void Run()
        {
            while (!stop.IsCancellationRequested)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= endTicks) break;
                foreach (var e in encoders)
                {
                    if (!e.Mount.Started(now)) continue;
                    ulong last = (ulong)_one.Length - 1;
                    while (e.Mount.DueTicks(e.NextSequence + last) <= now)
                    {
                        Lateness.Add((now - e.Mount.DueTicks(e.NextSequence + last)) * 1000.0 / Stopwatch.Frequency);
                        SendFrames(e);
                    }
                    if (now >= e.NextControlTicks) SendControl(e, now);
                    foreach (var c in e.Tcp) c?.Flush();
                }
                Thread.Sleep(1);
            }
        }

        // The next packet's frames (one by default), from sequence NextSequence on.
        private void SendFrames(EncoderLoad e)
        {
            ulong seq = e.NextSequence;
            var programme = e.Mount.Programme;
            for (int i = 0; i < _one.Length; i++)
            {
                _one[i] = programme.Frames[(int)((seq + (ulong)i) % (ulong)programme.Count)];
                e.Mount.Stamp(seq + (ulong)i);
            }
            long timestamp = e.Mount.StartMicros + programme.OffsetMicros(seq);
            for (int r = 0; r < e.Targets.Length; r++)
            {
                if (options.Udp)
                {
                    int n = e.Audio.Audio(_packet, (byte)(r * 4), seq, timestamp, _one);
                    e.SendUdp(_packet.AsSpan(0, n), r);
                }
                if (options.Tcp)
                {
                    int n = e.Audio.Audio(_packet.AsSpan(StreamFraming.PrefixSize), (byte)(r * 4 + 1), seq, timestamp, _one);
                    StreamFraming.WritePrefix(_packet, n);
                    e.SendTcp(_packet.AsSpan(0, n + StreamFraming.PrefixSize), r);
                }
            }
            e.NextSequence = seq + (ulong)_one.Length;
        }

        private void SendControl(EncoderLoad e, long now)
        {
            e.NextControlTicks = now + ControlTicks;
            long timestamp = e.Mount.StartMicros + e.Mount.Programme.OffsetMicros(e.NextSequence);
            bool announce = e.ControlRounds++ % 2 == 0;
            ulong heartbeat = e.Heartbeats++;
            ulong announceNumber = announce ? e.Announces++ : 0;
            for (int r = 0; r < e.Targets.Length; r++)
            {
                for (int transport = 0; transport < 2; transport++)
                {
                    if (transport == 0 ? !options.Udp : !options.Tcp) continue;
                    byte path = (byte)(r * 4 + transport);
                    int at = transport == 0 ? 0 : StreamFraming.PrefixSize;
                    int n = e.Control.Heartbeat(_packet.AsSpan(at), path, heartbeat, timestamp, e.NextSequence);
                    Send(e, r, transport, n);
                    if (!announce) continue;
                    n = e.Control.Control(_packet.AsSpan(at), PacketType.Announce, path, announceNumber, timestamp, e.AnnouncePayload);
                    Send(e, r, transport, n);
                }
            }
        }

        private void Send(EncoderLoad e, int relay, int transport, int length)
        {
            if (transport == 0)
            {
                e.SendUdp(_packet.AsSpan(0, length), relay);
                return;
            }
            StreamFraming.WritePrefix(_packet, length);
            e.SendTcp(_packet.AsSpan(0, length + StreamFraming.PrefixSize), relay);
        }
    }
}

/// <summary>One mount of the load: its encoders, start time and (optionally) when each frame was first sent.</summary>
public sealed class MountLoad(int index, string name, Programme programme, int? stampCapacity)
{
    private readonly long[]? _sent = stampCapacity is { } n ? new long[n] : null;
    private long _startTicks = long.MaxValue;

    public int Index { get; } = index;
    public string Name { get; } = name;
    public Programme Programme { get; } = programme;
    public List<EncoderLoad> Encoders { get; } = [];
    public long StartMicros { get; private set; }

    public bool Stamped => _sent is not null;

    internal void Start(long startTicks, long startMicros)
    {
        StartMicros = startMicros;
        Volatile.Write(ref _startTicks, startTicks);
    }

    internal bool Started(long now) => now >= Volatile.Read(ref _startTicks);

    internal long DueTicks(ulong sequence) => _startTicks + Programme.OffsetMicros(sequence) * Stopwatch.Frequency / 1_000_000;

    internal void Stamp(ulong sequence)
    {
        if (_sent is null || sequence >= (ulong)_sent.Length) return;
        if (Volatile.Read(ref _sent[sequence]) == 0) Volatile.Write(ref _sent[sequence], Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// When the frame at fixture position <paramref name="index"/> that a listener received at <paramref name="arrival"/>
    /// was first sent: the latest sending of that position before the arrival. False when unknown.
    /// </summary>
    public bool TrySentAt(int index, long arrival, out long sentTicks)
    {
        sentTicks = 0;
        if (_sent is null || index < 0) return false;
        long n = Programme.Count;
        // The highest sequence already sent, then back by whole loops to one at this fixture position.
        long highest = -1;
        foreach (var e in Encoders) highest = Math.Max(highest, (long)Volatile.Read(ref e.SentCount) - 1);
        if (highest < 0) return false;
        long seq = highest - ((highest - index) % n + n) % n;
        for (; seq >= 0; seq -= n)
        {
            if (seq >= _sent.Length) continue;
            long at = Volatile.Read(ref _sent[seq]);
            if (at != 0 && at <= arrival)
            {
                sentTicks = at;
                return true;
            }
        }
        return false;
    }
}

/// <summary>One encoder of a mount: its session, packet builders, sockets and counters.</summary>
public sealed class EncoderLoad : IDisposable
{
    private readonly Socket? _udp;

    internal EncoderLoad(MountLoad mount, string id, int priority, ulong session, byte[] key, string keyId, SocketAddress[] targets)
    {
        Mount = mount;
        Id = id;
        Audio = new PacketBuilder(mount.Name, id, keyId, key, session);
        Control = new PacketBuilder(mount.Name, id, keyId, key, session);
        AnnouncePayload = new Announce(mount.Programme.Parameters, (byte)priority,
            [new("icy-name", $"Bench {mount.Name}"), new("icy-genre", "Benchmark")]).Encode();
        Targets = targets;
        Tcp = new TcpConn?[targets.Length];
        _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public MountLoad Mount { get; }
    public string Id { get; }
    internal PacketBuilder Audio { get; }
    internal PacketBuilder Control { get; }
    internal byte[] AnnouncePayload { get; }
    internal SocketAddress[] Targets { get; }
    internal TcpConn?[] Tcp { get; }

    /// <summary>Frames sent so far (the next sequence number); read by other threads.</summary>
    public long SentCount;

    internal ulong NextSequence
    {
        get => (ulong)SentCount;
        set => Volatile.Write(ref SentCount, (long)value);
    }

    internal long NextControlTicks;
    internal long ControlRounds;
    internal ulong Heartbeats;
    internal ulong Announces;
    internal long UdpPackets, TcpPackets, Bytes, UdpErrors;

    internal void SendUdp(ReadOnlySpan<byte> packet, int relay)
    {
        try
        {
            _udp!.SendTo(packet, SocketFlags.None, Targets[relay]);
            UdpPackets++;
            Bytes += packet.Length;
        }
        catch (SocketException)
        {
            UdpErrors++;
        }
    }

    internal void SendTcp(ReadOnlySpan<byte> framed, int relay)
    {
        if (Tcp[relay] is not { } conn) return;
        conn.Send(framed);
        TcpPackets++;
        Bytes += framed.Length;
    }

    public void Dispose()
    {
        _udp?.Dispose();
        foreach (var c in Tcp) c?.Dispose();
    }
}

/// <summary>
/// A TCP connection to a relay, written without blocking: what the socket does not take at once waits in a
/// bounded buffer and goes first next time; whole packets that do not fit are dropped and counted.
/// </summary>
internal sealed class TcpConn : IDisposable
{
    private readonly byte[] _pending = new byte[128 * 1024];
    private Socket? _socket;
    private int _length;

    public bool Dead { get; private set; }

    public long Dropped { get; private set; }

    public async Task ConnectAsync(IPEndPoint relay)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await s.ConnectAsync(relay, timeout.Token);
            s.Blocking = false;
            _socket = s;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            s.Dispose();
            Dead = true;
        }
    }

    public void Send(ReadOnlySpan<byte> framed)
    {
        if (Dead || _socket is null) return;
        if (_length > 0)
        {
            Append(framed);
            return;
        }
        int sent = _socket.Send(framed, SocketFlags.None, out var error);
        if (error is SocketError.Success or SocketError.WouldBlock)
        {
            if (sent < framed.Length) Append(framed[Math.Max(0, sent)..]);
            return;
        }
        Dead = true;
    }

    public void Flush()
    {
        if (_length == 0 || Dead || _socket is null) return;
        int sent = _socket.Send(_pending.AsSpan(0, _length), SocketFlags.None, out var error);
        if (error is not (SocketError.Success or SocketError.WouldBlock))
        {
            Dead = true;
            return;
        }
        if (sent <= 0) return;
        _pending.AsSpan(sent, _length - sent).CopyTo(_pending);
        _length -= sent;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_length + bytes.Length > _pending.Length)
        {
            Dropped++;
            return;
        }
        bytes.CopyTo(_pending.AsSpan(_length));
        _length += bytes.Length;
    }

    public void Dispose() => _socket?.Dispose();
}

public sealed record LoadReport(
    int Mounts,
    int Encoders,
    double Seconds,
    long FramesSent,
    long UdpPackets,
    long TcpPackets,
    long Bytes,
    long UdpErrors,
    long TcpDropped,
    int TcpDead,
    Histogram.Summary SendLateness);
