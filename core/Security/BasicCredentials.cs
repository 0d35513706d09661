using System.Security.Cryptography;
using System.Text;
using Davecast.Http;

namespace Davecast.Security;

/// <summary>HTTP basic authentication (RFC 7617) against one user and password.</summary>
public static class BasicCredentials
{
    /// <summary>The challenge Icecast 2.4 sends, which source clients and Icecast tools expect word for word.</summary>
    public const string IcecastChallenge = "Basic realm=\"Icecast2 Server\"";

    /// <summary>
    /// Whether an <c>Authorization</c> header carries exactly <paramref name="user"/> and <paramref name="password"/>
    /// (UTF-8). The comparison takes the same time wherever the given credentials differ.
    /// </summary>
    public static bool Match(string? authorization, string user, string password) =>
        Decode(authorization) is { } decoded && CryptographicOperations.FixedTimeEquals(decoded, Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>The user and password an <c>Authorization</c> header carries (HTTP basic, UTF-8); false when it carries none.</summary>
    public static bool TryRead(string? authorization, out string user, out string password)
    {
        user = password = "";
        if (Decode(authorization) is not { } decoded) return false;
        var text = Encoding.UTF8.GetString(decoded);
        int colon = text.IndexOf(':');
        if (colon < 0) return false;
        (user, password) = (text[..colon], text[(colon + 1)..]);
        return true;
    }

    private static byte[]? Decode(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            return Convert.FromBase64String(authorization[6..].Trim());
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether a request logs in as <paramref name="user"/>: HTTP basic authentication, or for the legacy ICE/1.0
    /// protocol an <c>ice-password</c> header (whose user is <paramref name="user"/>), compared in constant time.
    /// </summary>
    public static bool Match(RequestHead request, string user, string password)
    {
        var authorization = request.Header("Authorization");
        if (authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return Match(authorization, user, password);
        return request.Version == "ICE/1.0" && request.Header("ice-password") is { } given
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(password));
    }

    /// <summary>A <c>WWW-Authenticate</c> challenge for <paramref name="realm"/>.</summary>
    public static string Challenge(string realm) => $"Basic realm=\"{realm.Replace("\"", "", StringComparison.Ordinal)}\", charset=\"UTF-8\"";
}
