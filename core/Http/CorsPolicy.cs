using Microsoft.AspNetCore.Http;

namespace Davecast.Http;

/// <summary>
/// The CORS headers Icecast 2.4 sends, so that web players on other origins can fetch streams and status-json and
/// ask for ICY metadata; and, beyond Icecast, the response headers such a player must read through <c>fetch</c>
/// (a browser hides every header but a few simple ones unless they are exposed).
/// </summary>
public static class CorsPolicy
{
    /// <summary>The methods a browser may use, as Access-Control-Allow-Methods (and Allow) name them.</summary>
    public const string Methods = "GET, OPTIONS, HEAD";

    public static IReadOnlyList<KeyValuePair<string, string>> Headers { get; } =
    [
        new("Access-Control-Allow-Origin", "*"),
        new("Access-Control-Allow-Headers", "Origin, Accept, X-Requested-With, Content-Type, Icy-MetaData"),
        new("Access-Control-Allow-Methods", Methods),
        new("Access-Control-Expose-Headers", ExposedHeaders),
    ];

    /// <summary>The mount headers a web player reads: the metadata interval, the stream's description, its codec.</summary>
    public const string ExposedHeaders = "icy-metaint, icy-br, icy-name, icy-genre, icy-url, icy-description, icy-pub, ice-audio-info, content-type";

    /// <summary>Sets the CORS headers on an ASP.NET Core response.</summary>
    public static void Apply(IHeaderDictionary headers)
    {
        foreach (var (name, value) in Headers) headers[name] = value;
    }
}
