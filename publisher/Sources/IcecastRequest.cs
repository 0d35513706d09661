using System.Security.Cryptography;
using System.Text;
using System.Web;

namespace Davecast.Publisher.Sources;

/// <summary>
/// The head of a request to the source port: <c>PUT /mount HTTP/1.1</c>, <c>SOURCE /mount ICE/1.0</c> or
/// <c>HTTP/1.0</c>, <c>GET /admin/metadata?...</c>, and its headers. Lines may end with CRLF or, as old source
/// clients send them, with LF alone.
/// </summary>
public sealed class IcecastRequest
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private IcecastRequest(string method, string path, string query, string version, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        Method = method;
        Path = path;
        Query = query;
        Version = version;
        Headers = headers;
    }

    public string Method { get; }

    /// <summary>The target's path, percent-decoded.</summary>
    public string Path { get; }

    /// <summary>The target's query, without the '?', as sent.</summary>
    public string Query { get; }

    /// <summary>HTTP/1.1, HTTP/1.0 or ICE/1.0.</summary>
    public string Version { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The first header of that name (in any case), or null.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }

    /// <summary>The length of the head at the start of <paramref name="data"/>, blank line included; -1 when it is not all there.</summary>
    public static int FindEnd(ReadOnlySpan<byte> data)
    {
        for (int i = data.IndexOf((byte)'\n'); i >= 0 && i + 1 < data.Length; )
        {
            if (data[i + 1] == '\n') return i + 2;
            if (data[i + 1] == '\r' && i + 2 < data.Length && data[i + 2] == '\n') return i + 3;
            int next = data[(i + 1)..].IndexOf((byte)'\n');
            i = next < 0 ? -1 : i + 1 + next;
        }
        return -1;
    }

    /// <summary>Parses a head found by <see cref="FindEnd"/>; false with a reason when it is not a request.</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out IcecastRequest? request, out string error)
    {
        request = null;
        var lines = Decode(head).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
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
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0 || line[..colon].Any(char.IsWhiteSpace))
            {
                error = $"the header line '{line}' is not Name: value";
                return false;
            }
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }
        int question = parts[1].IndexOf('?');
        var path = question < 0 ? parts[1] : parts[1][..question];
        var query = question < 0 ? "" : parts[1][(question + 1)..];
        request = new IcecastRequest(parts[0], Uri.UnescapeDataString(path), query, parts[2], headers);
        error = "";
        return true;
    }

    /// <summary>The value of a query parameter as bytes ('+' and %XX decoded), or null when absent.</summary>
    public byte[]? QueryBytes(string name)
    {
        foreach (var pair in Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            var key = HttpUtility.UrlDecode(equals < 0 ? pair : pair[..equals]);
            if (key == name) return HttpUtility.UrlDecodeToBytes(equals < 0 ? "" : pair[(equals + 1)..]);
        }
        return null;
    }

    /// <summary>The value of a query parameter as UTF-8 text, or null when absent.</summary>
    public string? QueryText(string name) => QueryBytes(name) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>
    /// Whether the request logs in as <paramref name="login"/>: HTTP basic authentication, or for the legacy
    /// ICE/1.0 protocol an <c>ice-password</c> header (whose user is the login's).
    /// </summary>
    public bool LogsInAs(Credentials login)
    {
        string? user = null, password = null;
        var authorization = Header("Authorization");
        if (authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Decode(Convert.FromBase64String(authorization[6..].Trim()));
                int colon = pair.IndexOf(':');
                if (colon >= 0) (user, password) = (pair[..colon], pair[(colon + 1)..]);
            }
            catch (FormatException)
            {
                return false;
            }
        }
        else if (Version == "ICE/1.0" && Header("ice-password") is { } icePassword)
        {
            (user, password) = (login.User, icePassword);
        }
        return user is not null && password is not null && Same(user, login.User) && Same(password, login.Password);
    }

    /// <summary>Text as UTF-8 when it is valid UTF-8, else as Latin-1 (as older clients send it).</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
