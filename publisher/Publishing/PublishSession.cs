using System.Text;
using Davecast.Frames;
using Davecast.Publisher.Pacing;
using Davecast.Publisher.Paths;
using Davecast.Publisher.Sources;
using Davecast.Wire;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Publishing;

/// <summary>
/// One publishing session: frames from the source, paced in real time, grouped into packets and sent on
/// every path, with the control packets alongside.
/// </summary>
public sealed class PublishSession
{
    /// <summary>How long queued TCP packets may take to leave at the end.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly PublisherOptions _options;
    private readonly IFrameSource _source;
    private readonly Func<double, IReplySink, IReadOnlyList<IPacketPath>> _createPaths;
    private readonly ILogger _logger;
    private readonly SourceFrame[] _slots;
    private readonly List<ReadOnlyMemory<byte>> _group;
    private readonly byte[] _packet = new byte[Protocol.MaxPacketSize];
    private CodecParameters _announced;
    private IReadOnlyList<KeyValuePair<string, string>> _sourceHeaders = [];
    private bool _warnedParameters;
    private Sending? _sending;

    // What a running session sends, for /metrics; set once its paths exist.
    private sealed record Sending(SendPosition Position, IReadOnlyList<IPacketPath> Paths, RefusalMonitor Refusals);

    /// <param name="createPaths">Makes the paths, given the most packets per second they will carry and where relays' replies go.</param>
    public PublishSession(
        PublisherOptions options, IFrameSource source, Func<double, IReplySink, IReadOnlyList<IPacketPath>> createPaths, ILoggerFactory loggerFactory)
    {
        _options = options;
        _source = source;
        _createPaths = createPaths;
        _logger = loggerFactory.CreateLogger("Davecast.Publisher");
        _slots = new SourceFrame[options.FramesPerPacket + 1];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new SourceFrame();
        _group = new List<ReadOnlyMemory<byte>>(options.FramesPerPacket);
    }

    /// <summary>Frames sent so far (0 before the first frame).</summary>
    public long FramesSent => Volatile.Read(ref _sending)?.Position.FramesSent ?? 0;

    /// <summary>The paths to the relays and groups; none before the first frame.</summary>
    public IReadOnlyList<IPacketPath> Paths => Volatile.Read(ref _sending)?.Paths ?? [];

    /// <summary>Refused packets from relays, verified (<see cref="RefusalMonitor.Refusals"/>).</summary>
    public long RelayRefusals => Volatile.Read(ref _sending)?.Refusals.Refusals ?? 0;

    /// <summary>Publishes until the source ends (0) or <paramref name="cancellationToken"/> fires (0); 1 when the source fails.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!await _source.ReadAsync(_slots[0], cancellationToken))
            {
                _logger.LogError("{Source} ended before its first frame", _source.Name);
                return 1;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            _logger.LogError("Cannot read {Source}: {Error}", _source.Name, e.Message);
            return 1;
        }

        // The session starts with the first frame: its id is the start time, and pacing counts from now, or
        // from --start-at, which also stamps frame 0.
        _announced = _slots[0].Parameters;
        long session = NowMicros();
        Pacer pacer;
        if (_options.StartAtMicros is { } startAt)
        {
            if (!await WaitForStartAsync(startAt, cancellationToken)) return 0;
            pacer = Pacer.StartingAt(startAt, DateTimeOffset.UtcNow);
            try
            {
                if (!await CatchUpAsync(pacer, cancellationToken)) return 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                _logger.LogError("Cannot read {Source}: {Error}", _source.Name, e.Message);
                return 1;
            }
        }
        else
        {
            pacer = new Pacer(session);
        }
        var position = new SendPosition(pacer.SessionStartMicros);
        position.Advance(pacer.NextSequence, pacer.NextTimestampMicros, 0);
        double framesPerSecond = (double)_announced.SampleRate / _announced.SamplesPerFrame;
        using var key = new PacketKey(Encoding.UTF8.GetBytes(_options.Key));
        var refusals = new RefusalMonitor((ulong)session, _options.Mount, _options.EncoderId, _options.KeyId, key, _logger);
        // Packets per second at most: --max-datagram can hold a packet to fewer frames than --frames-per-packet, down to one.
        var paths = _createPaths(framesPerSecond + 3, refusals);
        // One builder for the audio loop and the control loop: it is thread-safe.
        var builder = new PacketBuilder(_options.Mount, _options.EncoderId, _options.KeyId, key, (ulong)session);
        _sourceHeaders = _source.IcyHeaders;
        var control = new ControlSender(builder, paths, AnnouncePayload(), position);
        var stats = new StatsReporter(position, paths, _logger);
        Volatile.Write(ref _sending, new Sending(position, paths, refusals));

        _logger.LogInformation(
            "Publishing {Mount} as encoder {Encoder}, session {Session}: {Codec} from {Source}, priority {Priority}, up to {FramesPerPacket} frame(s) per packet, on {PathCount} paths ({Paths})",
            _options.Mount, _options.EncoderId, session, _announced, _source.Name, _options.Priority, _options.FramesPerPacket,
            paths.Count, string.Join(", ", paths.Select(p => $"{p.PathId} {p.Name}")));

        int exitCode = 0;
        using var background = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        control.SendAnnounce();
        if (_options.Title is { } title) control.SetTitle(title);
        var controlLoop = control.RunAsync(background.Token);
        var statsLoop = stats.RunAsync(_options.StatsInterval, background.Token);
        try
        {
            bool ended = await PumpAsync(pacer, builder, paths, position, control, cancellationToken);
            if (ended) _logger.LogInformation("{Source} ended; finishing", _source.Name);
            else _logger.LogInformation("Stopping");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            _logger.LogError("Cannot read {Source}: {Error}", _source.Name, e.Message);
            exitCode = 1;
        }
        finally
        {
            background.Cancel();
            await Task.WhenAll(controlLoop, statsLoop);
            // The last word: which sequence number would have come next.
            control.SendHeartbeat();
            await Task.WhenAll(paths.Select(p => p.CompleteAsync(DrainTimeout)));
            stats.Log("Done");
            foreach (var path in paths) await path.DisposeAsync();
        }
        return exitCode;
    }

    private static long NowMicros() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    // Waits for the wall clock to reach --start-at; false when cancelled first.
    private async Task<bool> WaitForStartAsync(long startAtMicros, CancellationToken cancellationToken)
    {
        long wait = startAtMicros - NowMicros();
        if (wait <= 0) return true;
        _logger.LogInformation("Waiting {Seconds:F3} s, until {StartAt:O} (--start-at)",
            wait / 1e6, DateTimeOffset.UnixEpoch.AddTicks(startAtMicros * TimeSpan.TicksPerMicrosecond));
        try
        {
            // In short steps, so that a clock set meanwhile is followed.
            while ((wait = startAtMicros - NowMicros()) > 0)
                await Task.Delay(TimeSpan.FromMicroseconds(Math.Min(wait, 1_000_000)), cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Frames late by less than this are still sent (at once): scheduling jitter is no reason to skip.</summary>
    public const long CatchUpSlackMicros = 1_000_000;

    // A start in the past: skips the frames whose time is over by more than the slack, so that this publisher
    // sends what the programme plays now, stamped as if it had started on time. False when the source ends first.
    private async Task<bool> CatchUpAsync(Pacer pacer, CancellationToken cancellationToken)
    {
        long skipped = 0;
        while (pacer.IsPast(_slots[0].Parameters, CatchUpSlackMicros))
        {
            pacer.Stamp(_slots[0].Parameters);
            skipped++;
            if (!await _source.ReadAsync(_slots[0], cancellationToken))
            {
                _logger.LogError("{Source} ended after {Frames} frames, before the programme position of now ({Seconds:F3} s after --start-at)",
                    _source.Name, skipped, pacer.ElapsedMicros / 1e6);
                return false;
            }
        }
        if (skipped > 0)
        {
            _logger.LogInformation("Joining the programme {Seconds:F3} s after --start-at, at frame {Sequence} ({Skipped} frames already past are skipped)",
                pacer.NextOffsetMicros / 1e6, pacer.NextSequence, skipped);
        }
        return true;
    }

    // The codec parameters announced, the source's icy headers and the command line's, which win.
    private byte[] AnnouncePayload() =>
        new Announce(_announced, _options.Priority, StationInfo.Merge(_sourceHeaders, _options.IcyHeaders)).Encode();

    // Sends frames as they fall due. True when the source ended, false when cancelled. A frame late (a live source
    // back after an outage) is sent at once, never skipped, and stamped with the media time its sequence gives.
    private async Task<bool> PumpAsync(
        Pacer pacer, PacketBuilder builder, IReadOnlyList<IPacketPath> paths, SendPosition position, ControlSender control, CancellationToken cancellationToken)
    {
        int overhead = builder.Overhead;
        int count = 0; // frames waiting in _slots[0..count)
        int groupBytes = 0;
        FrameStamp head = default;
        try
        {
            while (true)
            {
                var frame = _slots[count];
                int cost = 2 + frame.Length;
                if (count > 0 && overhead + groupBytes + cost > _options.MaxDatagram)
                {
                    // The new frame would make the packet too big: send the group without it.
                    SendGroup(builder, paths, position, pacer, head, count);
                    (_slots[0], _slots[count]) = (_slots[count], _slots[0]);
                    count = 0;
                    groupBytes = 0;
                }

                await pacer.WaitUntilAsync(pacer.NextOffsetMicros, cancellationToken);
                CheckParameters(_slots[count].Parameters, pacer.NextSequence);
                // The title goes out before the packet that carries its frame.
                if (_slots[count].Title is { } title) control.SetTitle(title, pacer.NextSequence);
                var stamp = pacer.Stamp(_slots[count].Parameters);
                if (count == 0) head = stamp;
                count++;
                groupBytes += cost;
                if (count == _options.FramesPerPacket)
                {
                    SendGroup(builder, paths, position, pacer, head, count);
                    count = 0;
                    groupBytes = 0;
                }

                if (!await _source.ReadAsync(_slots[count], cancellationToken)) break;
                if (!ReferenceEquals(_source.IcyHeaders, _sourceHeaders)) AnnounceNewHeaders(control);
            }
            if (count > 0) SendGroup(builder, paths, position, pacer, head, count);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Frames already due go out; the frame being waited for was not stamped.
            if (count > 0) SendGroup(builder, paths, position, pacer, head, count);
            return false;
        }
    }

    private void AnnounceNewHeaders(ControlSender control)
    {
        _sourceHeaders = _source.IcyHeaders;
        _logger.LogInformation("{Source} now gives the headers {Headers}; announcing them", _source.Name, StationInfo.Describe(_sourceHeaders));
        control.SetAnnounce(AnnouncePayload());
    }

    private void SendGroup(PacketBuilder builder, IReadOnlyList<IPacketPath> paths, SendPosition position, Pacer pacer, FrameStamp head, int count)
    {
        _group.Clear();
        for (int i = 0; i < count; i++) _group.Add(_slots[i].Memory);
        int signed = builder.AudioUnsigned(_packet, head.Sequence, head.TimestampMicros, _group);
        PacketFanOut.Send(paths, builder, _packet, signed);
        position.Advance(head.Sequence + (ulong)count, pacer.NextTimestampMicros, count);
    }

    private void CheckParameters(in CodecParameters parameters, ulong sequence)
    {
        // What relays compare encoders by: a frame that differs there no longer matches the Announce.
        if (_warnedParameters || parameters.IsSpliceCompatibleWith(_announced)) return;
        _warnedParameters = true;
        _logger.LogWarning("Frame {Sequence} is {Parameters}, but the stream was announced as {Announced}; relays may refuse the change",
            sequence, parameters, _announced);
    }
}
