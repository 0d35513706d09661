using System.Security.Cryptography;
using System.Text;

namespace Davecast.Security;

/// <summary>HTTP basic authentication (RFC 7617) against one user and password.</summary>
public static class BasicCredentials
{
    /// <summary>
    /// Whether an <c>Authorization</c> header carries exactly <paramref name="user"/> and <paramref name="password"/>
    /// (UTF-8). The comparison takes the same time wherever the given credentials differ.
    /// </summary>
    public static bool Match(string? authorization, string user, string password)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(authorization[6..].Trim());
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(decoded, Encoding.UTF8.GetBytes($"{user}:{password}"));
    }

    /// <summary>A <c>WWW-Authenticate</c> challenge for <paramref name="realm"/>.</summary>
    public static string Challenge(string realm) => $"Basic realm=\"{realm.Replace("\"", "", StringComparison.Ordinal)}\", charset=\"UTF-8\"";
}
