using System.Globalization;

namespace Davecast.Publisher;

/// <summary>A relay's ingest endpoint as given on the command line: <c>host:port</c> or <c>[v6-address]:port</c>.</summary>
public sealed record RelayAddress(string Host, int Port)
{
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static bool TryParse(string text, out RelayAddress? address, out string error)
    {
        address = null;
        error = "";
        text = text.Trim();
        string host;
        string port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not [address]:port";
                return false;
            }
            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"'{text}' has no port; write host:port";
                return false;
            }
            host = text[..colon];
            port = text[(colon + 1)..];
            if (host.Contains(':'))
            {
                error = $"'{text}': write an IPv6 address in brackets, as [::1]:9001";
                return false;
            }
        }

        if (host.Length == 0)
        {
            error = $"'{text}' has no host";
            return false;
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
        {
            error = $"'{text}' has no valid port (1-65535)";
            return false;
        }

        address = new RelayAddress(host, p);
        return true;
    }
}
