using System.Buffers;

namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// Writes audio with an ICY metadata block after every <c>interval</c> bytes: the title block when the title of
/// the frame being written differs from the last one sent, else a single zero byte. Interval 0: audio only.
/// </summary>
public sealed class IcyInterleaver(int interval)
{
    private static readonly byte[] NoChange = [0];
    private readonly int _interval = interval;
    private int _untilMetadata = interval;
    private string? _sent;

    public void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> audio, TitleInfo? title)
    {
        if (_interval == 0)
        {
            writer.Write(audio);
            return;
        }
        while (!audio.IsEmpty)
        {
            int n = Math.Min(audio.Length, _untilMetadata);
            writer.Write(audio[..n]);
            audio = audio[n..];
            _untilMetadata -= n;
            if (_untilMetadata > 0) continue;
            if (title is not null && title.Title != _sent)
            {
                writer.Write(title.Block);
                _sent = title.Title;
            }
            else
            {
                writer.Write(NoChange);
            }
            _untilMetadata = _interval;
        }
    }
}
