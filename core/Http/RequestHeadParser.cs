using System.Buffers;

namespace Davecast.Http;

/// <summary>
/// Reads a request head from the bytes received so far. Lines may end with CRLF or, as old source clients send them,
/// with LF alone; empty lines before the request line are skipped (RFC 9112, 2.2). Header values are UTF-8 when
/// valid, else Latin-1.
/// </summary>
public static class RequestHeadParser
{
    /// <summary>Largest head read unless told otherwise; Icecast's clients send far less.</summary>
    public const int DefaultMaxBytes = 16 * 1024;

    /// <summary>How long a client of either program may take to send its request head before it is closed, unless told otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Looks for a whole head at the start of <paramref name="received"/>. On <see cref="HeadStatus.Complete"/>,
    /// <paramref name="length"/> is the head's length, blank line included (the body starts there); on
    /// <see cref="HeadStatus.TooLarge"/> or <see cref="HeadStatus.Malformed"/>, <paramref name="error"/> says why.
    /// </summary>
    public static HeadStatus TryRead(
        in ReadOnlySequence<byte> received, out RequestHead? head, out long length, out string error, int maxBytes = DefaultMaxBytes)
    {
        head = null;
        length = 0;
        error = "";
        var reader = new SequenceReader<byte>(received);
        var lines = new List<string>();
        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                if (received.Length < maxBytes) return HeadStatus.Incomplete;
                error = $"the request head is over {maxBytes} bytes";
                return HeadStatus.TooLarge;
            }
            if (reader.Consumed > maxBytes)
            {
                error = $"the request head is over {maxBytes} bytes";
                return HeadStatus.TooLarge;
            }
            var text = TextBytes.Decode(line.IsSingleSegment ? line.FirstSpan : line.ToArray());
            if (text.EndsWith('\r')) text = text[..^1];
            if (text.Length > 0) lines.Add(text);
            else if (lines.Count > 0) break;
        }
        length = reader.Consumed;
        return Parse(lines, out head, out error) ? HeadStatus.Complete : HeadStatus.Malformed;
    }

    private static bool Parse(List<string> lines, out RequestHead? head, out string error)
    {
        head = null;
        var parts = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || !(parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[2] == "ICE/1.0"))
        {
            error = "the request line is not METHOD /path HTTP/1.x (or ICE/1.0)";
            return false;
        }
        if (!parts[1].StartsWith('/'))
        {
            error = $"the target '{parts[1]}' is not a path";
            return false;
        }
        var headers = new List<KeyValuePair<string, string>>(lines.Count - 1);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAny(" \t\v\f"))
            {
                error = $"the header line '{line}' is not Name: value";
                return false;
            }
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }
        error = "";
        head = new RequestHead(parts[0], parts[1], parts[2], headers);
        return true;
    }
}
