using System.Text;

namespace Davecast.Publisher.Sources;

/// <summary>
/// The icy-* headers that describe a station (icy-name, icy-genre, icy-url, icy-description, icy-br, icy-pub), as
/// Announce packets carry them to the edges. A source learns them from an upstream's answer or from a source
/// client's request, where the ice-* names (ice-name, ice-bitrate, ice-public...) mean the same; the command line's
/// explicit values override them.
/// </summary>
public static class StationInfo
{
    /// <summary>Longest value, in UTF-8 bytes, that an Announce carries.</summary>
    public const int MaxValueBytes = 1024;

    // In the order they are announced; each with the header names that carry it, preferred first.
    private static readonly (string Name, string[] Aliases)[] Fields =
    [
        ("icy-name", ["icy-name", "ice-name"]),
        ("icy-genre", ["icy-genre", "ice-genre"]),
        ("icy-url", ["icy-url", "ice-url"]),
        ("icy-description", ["icy-description", "ice-description"]),
        ("icy-br", ["icy-br", "ice-bitrate"]),
        ("icy-pub", ["icy-pub", "ice-public"]),
    ];

    /// <summary>
    /// The station's headers among <paramref name="headers"/> (names in any case; of a name given twice, the first),
    /// under their icy-* names: control characters are dropped, empty values left out and long ones cut, and
    /// icy-pub is 1 or 0.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> FromHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var given = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers) given.TryAdd(name.Trim(), value);
        var station = new List<KeyValuePair<string, string>>();
        foreach (var (name, aliases) in Fields)
        {
            foreach (var alias in aliases)
            {
                if (!given.TryGetValue(alias, out var value) || Clean(value) is not { } clean) continue;
                station.Add(new(name, name == "icy-pub" ? PublicFlag(clean) : clean));
                break;
            }
        }
        return station;
    }

    /// <summary>
    /// The source's headers, each replaced by the command line's of the same name, then the command line's others,
    /// then <c>icy-pub: 0</c> if neither gives it.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Merge(
        IReadOnlyList<KeyValuePair<string, string>> source, IReadOnlyList<KeyValuePair<string, string>> commandLine)
    {
        var merged = new List<KeyValuePair<string, string>>(source.Count + commandLine.Count + 1);
        foreach (var header in source) merged.Add(Find(commandLine, header.Key) ?? header);
        foreach (var header in commandLine)
            if (Find(merged, header.Key) is null) merged.Add(header);
        if (Find(merged, "icy-pub") is null) merged.Add(new("icy-pub", "0"));
        return merged;
    }

    /// <summary>For logs: "icy-name: Radio X, icy-pub: 1".</summary>
    public static string Describe(IReadOnlyList<KeyValuePair<string, string>> headers) =>
        headers.Count == 0 ? "none" : string.Join(", ", headers.Select(h => $"{h.Key}: {h.Value}"));

    private static KeyValuePair<string, string>? Find(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        foreach (var header in headers)
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)) return header;
        return null;
    }

    private static string PublicFlag(string value) =>
        value is "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase) ? "1" : "0";

    // Without control characters, trimmed, and at most MaxValueBytes long (cut at a character boundary); null when empty.
    private static string? Clean(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var c in value)
            if (!char.IsControl(c)) text.Append(c);
        var clean = text.ToString().Trim();
        return clean.Length == 0 ? null : CutToBytes(clean, MaxValueBytes);
    }

    /// <summary><paramref name="text"/> cut to at most <paramref name="maxBytes"/> UTF-8 bytes, between characters.</summary>
    public static string CutToBytes(string text, int maxBytes)
    {
        int bytes = 0, end = 0;
        while (end < text.Length)
        {
            int width = char.IsSurrogatePair(text, end) ? 2 : 1;
            int n = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
            if (bytes + n > maxBytes) break;
            bytes += n;
            end += width;
        }
        return end == text.Length ? text : text[..end];
    }
}
