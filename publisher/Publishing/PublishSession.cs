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
    private readonly Func<double, IReadOnlyList<IPacketPath>> _createPaths;
    private readonly ILogger _logger;
    private readonly SourceFrame[] _slots;
    private readonly List<ReadOnlyMemory<byte>> _group;
    private readonly byte[] _packet = new byte[Protocol.MaxPacketSize];
    private CodecParameters _announced;
    private bool _warnedParameters;

    /// <param name="createPaths">Makes the paths, given the packets per second they will carry.</param>
    public PublishSession(PublisherOptions options, IFrameSource source, Func<double, IReadOnlyList<IPacketPath>> createPaths, ILoggerFactory loggerFactory)
    {
        _options = options;
        _source = source;
        _createPaths = createPaths;
        _logger = loggerFactory.CreateLogger("Davecast.Publisher");
        _slots = new SourceFrame[options.FramesPerPacket + 1];
        for (int i = 0; i < _slots.Length; i++) _slots[i] = new SourceFrame();
        _group = new List<ReadOnlyMemory<byte>>(options.FramesPerPacket);
    }

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

        // The session starts with the first frame: its id is the start time, and pacing counts from now.
        _announced = _slots[0].Parameters;
        long session = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        var pacer = new Pacer(session);
        var position = new SendPosition(session);
        double framesPerSecond = (double)_announced.SampleRate / _announced.SamplesPerFrame;
        var paths = _createPaths(framesPerSecond / _options.FramesPerPacket + 3);
        var key = Encoding.UTF8.GetBytes(_options.Key);
        var builder = new PacketBuilder(_options.Mount, _options.EncoderId, _options.KeyId, key, (ulong)session);
        var control = new ControlSender(
            new PacketBuilder(_options.Mount, _options.EncoderId, _options.KeyId, key, (ulong)session),
            paths,
            new Announce(_announced, _options.Priority, _options.IcyHeaders).Encode(),
            position);
        var stats = new StatsReporter(position, paths, _logger);

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
            bool ended = await PumpAsync(pacer, builder, paths, position, cancellationToken);
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

    // Sends frames as they fall due. True when the source ended, false when cancelled.
    private async Task<bool> PumpAsync(Pacer pacer, PacketBuilder builder, IReadOnlyList<IPacketPath> paths, SendPosition position, CancellationToken cancellationToken)
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

    private void SendGroup(PacketBuilder builder, IReadOnlyList<IPacketPath> paths, SendPosition position, Pacer pacer, FrameStamp head, int count)
    {
        _group.Clear();
        for (int i = 0; i < count; i++) _group.Add(_slots[i].Memory);
        foreach (var path in paths)
        {
            int length = builder.Audio(_packet, path.PathId, head.Sequence, head.TimestampMicros, _group);
            path.Send(_packet.AsSpan(0, length));
        }
        position.Advance(head.Sequence + (ulong)count, pacer.NextTimestampMicros, count);
    }

    private void CheckParameters(in CodecParameters parameters, ulong sequence)
    {
        // The bitrate of MPEG audio varies from frame to frame (VBR); everything else should not.
        if (_warnedParameters || parameters with { BitrateKbps = 0 } == _announced with { BitrateKbps = 0 }) return;
        _warnedParameters = true;
        _logger.LogWarning("Frame {Sequence} is {Parameters}, but the stream was announced as {Announced}; relays may refuse the change",
            sequence, parameters, _announced);
    }
}
