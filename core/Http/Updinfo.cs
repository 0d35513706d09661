using System.Net;
using System.Security;
using System.Text;
using Davecast.Wire;

namespace Davecast.Http;

/// <summary>
/// Icecast's title update, <c>/admin/metadata?mode=updinfo&amp;mount=/mount&amp;song=Title[&amp;charset=...]</c>, as
/// the edge and the publisher's source port both take it.
/// </summary>
/// <param name="Mount">The mount named, normalised (<see cref="MountName.Normalize"/>).</param>
/// <param name="Song">The new title.</param>
public sealed record Updinfo(string Mount, string Song)
{
    /// <summary>
    /// Reads a raw query (with or without its '?'). The song is UTF-8 when its bytes are valid UTF-8, else Latin-1,
    /// whatever charset says: encoders leave it out or get it wrong too often for it to be believed.
    /// False with the reason when the query is not a title update.
    /// </summary>
    public static bool TryParse(string? rawQuery, out Updinfo? update, out string error)
    {
        update = null;
        var query = rawQuery is null ? "" : rawQuery.TrimStart('?');
        if (Value(query, "mode") is not { } mode || Encoding.UTF8.GetString(mode) != "updinfo")
        {
            error = "No such mode: only mode=updinfo is supported";
            return false;
        }
        string mount;
        try
        {
            mount = MountName.Normalize(Value(query, "mount") is { } raw ? TextBytes.Decode(raw) : "");
        }
        catch (ArgumentException)
        {
            error = "Missing or bad parameter: mount";
            return false;
        }
        if (Value(query, "song") is not { } song)
        {
            error = "Missing parameter: song";
            return false;
        }
        error = "";
        update = new Updinfo(mount, TextBytes.Decode(song));
        return true;
    }

    /// <summary>Icecast's XML answer to a title update.</summary>
    public static string Reply(string message, bool success) =>
        $"<?xml version=\"1.0\"?>\n<iceresponse><message>{SecurityElement.Escape(message)}</message><return>{(success ? 1 : 0)}</return></iceresponse>\n";

    // The first value of a parameter, '+' and %XX decoded to bytes; null when absent.
    private static byte[]? Value(string query, string name)
    {
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            if (WebUtility.UrlDecode(equals < 0 ? pair : pair[..equals]) != name) continue;
            var value = Encoding.Latin1.GetBytes(equals < 0 ? "" : pair[(equals + 1)..]);
            return WebUtility.UrlDecodeToBytes(value, 0, value.Length);
        }
        return null;
    }
}
