using Davecast.Cli;

namespace Davecast.Edge.Sites;

/// <summary>
/// How this edge reaches one site's cluster: <c>--site NAME=redis:CONNECTION</c> (the site's membership table) or
/// <c>--site NAME=gateways:HOST:PORT[,HOST:PORT...]</c> (its relays' Orleans gateways). The site's cluster id is
/// its name.
/// </summary>
public sealed record SiteSpec(string Name, string ClusterId, string? Redis, IReadOnlyList<string> Gateways)
{
    public static bool TryParse(string text, out SiteSpec? spec, out string? error)
    {
        spec = null;
        error = null;
        int eq = text.IndexOf('=');
        int colon = eq < 0 ? -1 : text.IndexOf(':', eq);
        if (eq <= 0 || colon < 0 || colon == text.Length - 1)
        {
            // Not shown: a Redis connection string may hold a password.
            error = "a value is not NAME=redis:CONNECTION or NAME=gateways:HOST:PORT[,HOST:PORT...] (values are not shown)";
            return false;
        }
        var name = text[..eq];
        if (!IsName(name))
        {
            error = $"site name '{name}' must be letters, digits, '-', '_' or '.'";
            return false;
        }
        var kind = text[(eq + 1)..colon];
        var value = text[(colon + 1)..];
        switch (kind)
        {
            case "redis" when string.IsNullOrWhiteSpace(value):
                error = $"site {name}: no Redis connection string";
                return false;
            case "redis":
                spec = new SiteSpec(name, name, value, []);
                return true;
            case "gateways":
                var list = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (list.Length == 0)
                {
                    error = $"site {name}: no HOST:PORT of a gateway";
                    return false;
                }
                foreach (var g in list)
                {
                    try { HostPort.Split(g); }
                    catch (FormatException e)
                    {
                        error = $"site {name}: {e.Message}";
                        return false;
                    }
                }
                spec = new SiteSpec(name, name, null, list);
                return true;
            default:
                error = $"site {name}: '{kind}' is neither redis nor gateways";
                return false;
        }
    }

    public static bool IsName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>What to show of it (never a Redis password).</summary>
    public override string ToString() => Redis is not null ? $"{Name} (redis)" : $"{Name} (gateways {string.Join(',', Gateways)})";
}
