using System.Buffers;
using System.IO.Pipelines;
using Davecast.Frames;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>
/// Frames from a byte stream (a file or stdin), split by <see cref="FrameSplitter"/>. With
/// <c>loop</c>, the stream is opened again at its end and the frames go on. A stream in a format that holds no
/// frames (WAV, MP4, Ogg, FLAC: <see cref="ForeignFormats"/>) is refused at its first bytes, saying how to convert it.
/// </summary>
/// <param name="path">The file's path as given, for the conversion command; null for stdin.</param>
public sealed class StreamFrameSource(string name, Func<Stream> open, bool loop, CodecKind codec, ILogger logger, string? path = null) : IFrameSource
{
    private ForeignFormat? _foreign;
    private bool _headSeen;
    private PipeReader? _reader;
    private FrameSplitter? _splitter;
    private CodecKind _codec = codec;
    private long _framesThisPass;
    private int _pass;

    public string Name { get; } = name;

    public IReadOnlyList<KeyValuePair<string, string>> IcyHeaders => [];

    public static StreamFrameSource ForFile(string path, bool loop, CodecKind codec, ILogger logger) =>
        new($"file {Path.GetFileName(path)}", () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true), loop, codec, logger, path);

    public static StreamFrameSource ForStdin(CodecKind codec, ILogger logger) =>
        new("stdin", Console.OpenStandardInput, loop: false, codec, logger);

    public async ValueTask<bool> ReadAsync(SourceFrame frame, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_reader is null)
            {
                _reader = PipeReader.Create(open(), new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: false));
                _splitter = new FrameSplitter(_codec);
                _framesThisPass = 0;
                _pass++;
            }

            var pending = _reader.ReadAsync(cancellationToken);
            // Reads of stdin ignore cancellation once started: stop waiting for one rather than hang.
            var result = pending.IsCompleted ? pending.Result : await pending.AsTask().WaitAsync(cancellationToken);
            var buffer = result.Buffer;
            if (!_headSeen)
            {
                // The stream's first bytes are looked at before any is split.
                if (buffer.Length < ForeignFormats.HeadSize && !result.IsCompleted)
                {
                    _reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                _headSeen = true;
                _foreign = ForeignFormats.Recognise(buffer.Slice(0, Math.Min(buffer.Length, ForeignFormats.HeadSize)).ToArray());
                if (_foreign is { Conversion: not Conversion.None }) throw new InvalidDataException(_foreign.Explain(path));
            }
            if (_splitter!.TryReadFrame(ref buffer, result.IsCompleted, out var data, out var parameters))
            {
                frame.Set(data, parameters);
                // Keep the rest unexamined so that the next read returns it at once.
                _reader.AdvanceTo(buffer.Start);
                _framesThisPass++;
                return true;
            }

            if (!result.IsCompleted)
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            _reader.AdvanceTo(buffer.End);
            await EndPassAsync();
            if (_framesThisPass == 0 && (loop || _pass == 1))
            {
                string what = _foreign?.Explain(path) ?? $"it holds no {(_codec == CodecKind.Unknown ? "AAC (ADTS) or MPEG audio" : _codec)} frames";
                throw new InvalidDataException(what);
            }
            if (!loop) return false;
        }
    }

    private async ValueTask EndPassAsync()
    {
        var s = _splitter!;
        _codec = s.Codec;
        var level = _pass == 1 ? LogLevel.Information : LogLevel.Debug;
        logger.Log(level, "End of {Source} (pass {Pass}): {Frames} frames, {SkippedBytes} bytes of garbage and {TagBytes} bytes of tags skipped",
            Name, _pass, _framesThisPass, s.SkippedBytes, s.TagBytes);
        await _reader!.CompleteAsync();
        _reader = null;
    }

    public async ValueTask DisposeAsync()
    {
        var reader = _reader;
        _reader = null;
        if (reader is null) return;
        try
        {
            await reader.CompleteAsync();
        }
        catch (InvalidOperationException)
        {
            // A read abandoned at cancellation is still in flight; the stream goes with the process.
        }
    }
}
