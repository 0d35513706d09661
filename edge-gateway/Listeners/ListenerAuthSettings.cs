using Davecast.Wire;

namespace Davecast.Edge.Listeners;

/// <summary>
/// Where listener authentication asks (Icecast's <c>url</c> authenticator), read from <c>--listener-auth-url</c>:
/// <c>URL</c> for every mount, <c>MOUNT=URL</c> for one mount (it wins over the global one), <c>MOUNT=none</c> for a
/// public mount while a global hook is set. No hook at all: every mount is public.
/// </summary>
public sealed record ListenerAuthSettings(Uri? Global, IReadOnlyDictionary<string, Uri?> PerMount)
{
    public static ListenerAuthSettings None { get; } = new(null, new Dictionary<string, Uri?>());

    /// <summary>The hook that decides on a mount's listeners, or null when the mount is public.</summary>
    public Uri? For(string mount) => PerMount.TryGetValue(mount, out var url) ? url : Global;

    public static bool TryParse(IEnumerable<string> values, out ListenerAuthSettings settings, out string? error)
    {
        settings = None;
        error = null;
        Uri? global = null;
        var perMount = new Dictionary<string, Uri?>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            // A URL starts with its scheme; anything else names a mount first.
            bool isUrl = value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            int eq = value.IndexOf('=');
            if (isUrl)
            {
                if (global is not null) return Fail("--listener-auth-url: a URL for every mount is given twice", out error);
                if (!TryUrl(value, out global)) return Fail("--listener-auth-url: the URL for every mount is not an absolute http:// or https:// URL", out error);
                continue;
            }
            if (eq <= 0) return Fail("--listener-auth-url must be URL (every mount), MOUNT=URL or MOUNT=none", out error);
            string mount;
            try
            {
                mount = MountName.Normalize(value[..eq]);
            }
            catch (ArgumentException e)
            {
                return Fail($"--listener-auth-url: {e.Message}", out error);
            }
            var target = value[(eq + 1)..];
            Uri? url = null;
            if (!target.Equals("none", StringComparison.OrdinalIgnoreCase) && !TryUrl(target, out url))
                return Fail($"--listener-auth-url: the URL for mount /{mount} is not an absolute http:// or https:// URL (or 'none')", out error);
            if (!perMount.TryAdd(mount, url)) return Fail($"--listener-auth-url: mount /{mount} is given twice", out error);
        }
        settings = new ListenerAuthSettings(global, perMount);
        return true;
    }

    private static bool TryUrl(string text, out Uri? url) =>
        Uri.TryCreate(text, UriKind.Absolute, out url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps);

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
