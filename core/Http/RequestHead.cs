namespace Davecast.Http;

/// <summary>
/// A request line and its headers, as <see cref="RequestHeadParser"/> reads them: <c>GET /mount HTTP/1.1</c>,
/// <c>PUT /mount HTTP/1.1</c>, or the legacy source clients' <c>SOURCE /mount ICE/1.0</c>.
/// </summary>
public sealed class RequestHead(string method, string target, string version, IReadOnlyList<KeyValuePair<string, string>> headers)
{
    public string Method { get; } = method;

    /// <summary>The request target as sent: path and query.</summary>
    public string Target { get; } = target;

    /// <summary>The target's path, percent-decoded.</summary>
    public string Path { get; } = Uri.UnescapeDataString(target.Split('?', 2)[0]);

    /// <summary>The target's query, without the '?', as sent; empty when there is none.</summary>
    public string Query { get; } = target.Split('?', 2) is [_, var query] ? query : "";

    /// <summary>HTTP/1.1, HTTP/1.0 or ICE/1.0.</summary>
    public string Version { get; } = version;

    /// <summary>HTTP/1.x rather than ICE/1.0.</summary>
    public bool IsHttp1 => Version.StartsWith("HTTP/1.", StringComparison.Ordinal);

    /// <summary>In the order sent; names as sent, values trimmed.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; } = headers;

    /// <summary>The first header of that name (in any case), or null.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }
}
