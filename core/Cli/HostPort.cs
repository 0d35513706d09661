using System.Net;
using System.Net.Sockets;

namespace Davecast.Cli;

/// <summary>Parses "host:port" the way every Davecast program accepts it.</summary>
public static class HostPort
{
    /// <summary>Splits "host:port" (or "[v6]:port"); throws FormatException with a readable message.</summary>
    public static (string Host, int Port) Split(string value)
    {
        var text = value.Trim();
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new FormatException($"'{value}' is not host:port");
        var host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text[(colon + 1)..], out int port) || port is < 1 or > 65535)
            throw new FormatException($"'{value}' has no valid port (1-65535)");
        return (host, port);
    }

    /// <summary>Resolves "host:port" to an endpoint, preferring IPv4.</summary>
    public static IPEndPoint Resolve(string value)
    {
        var (host, port) = Split(value);
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        var addresses = Dns.GetHostAddresses(host);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new FormatException($"'{host}' does not resolve to an address");
        return new IPEndPoint(chosen, port);
    }
}
