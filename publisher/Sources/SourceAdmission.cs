using Davecast.Frames;
using Davecast.Http;
using Davecast.Security;
using Davecast.Wire;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>
/// Checks a <c>PUT</c> or <c>SOURCE</c> request as Icecast 2.4 does (login, mount, transfer coding, Content-Type,
/// one source at a time) and, if it may stream, answers <c>100 Continue</c> when asked and <c>200 OK</c>.
/// </summary>
/// <param name="mount">The mount source clients must name, normalised (<see cref="MountName.Normalize"/>).</param>
public sealed class SourceAdmission(string mount, Credentials login, SourcePortReplies replies, ILogger logger)
{
    private int _busy; // 1 from a source client's acceptance until it is released

    /// <summary>The source client accepted, which must be given back with <see cref="Release"/>; null when refused.</summary>
    public async Task<SourceClient?> AdmitAsync(ConnectionContext connection, string remote, RequestHead request, CancellationToken cancellationToken)
    {
        if (!BasicCredentials.Match(request, login.User, login.Password))
        {
            await replies.RefuseAsync(connection, remote, 401, "Authentication Required", "You need to authenticate", cancellationToken,
                $"WWW-Authenticate: {BasicCredentials.IcecastChallenge}\r\n");
            return null;
        }
        string named;
        try
        {
            named = MountName.Normalize(request.Path);
        }
        catch (ArgumentException e)
        {
            await replies.RefuseAsync(connection, remote, 400, "Bad Request", e.Message, cancellationToken);
            return null;
        }
        if (named != mount)
        {
            await replies.RefuseAsync(connection, remote, 404, "Not Found", $"Mount /{named} is not served here: this publisher takes sources for /{mount}", cancellationToken);
            return null;
        }
        var encoding = request.Header("Transfer-Encoding");
        bool chunked = encoding is not null && encoding.Equals("chunked", StringComparison.OrdinalIgnoreCase);
        if (encoding is not null && !chunked && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await replies.RefuseAsync(connection, remote, 501, "Not Implemented", $"Transfer-Encoding {encoding} is not supported", cancellationToken);
            return null;
        }
        var contentType = request.Header("Content-Type");
        if (contentType is not null && ContentTypes.CodecOf(contentType) == CodecKind.Unknown)
        {
            await replies.RefuseAsync(connection, remote, 415, "Unsupported Media Type",
                $"Content-Type {contentType} is not supported: send {ContentTypes.Accepted}", cancellationToken);
            return null;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            await replies.RefuseAsync(connection, remote, 403, "Forbidden", "Mountpoint in use", cancellationToken);
            return null;
        }
        try
        {
            var expect = request.Header("Expect");
            if (expect is not null && expect.Contains("100-continue", StringComparison.OrdinalIgnoreCase))
                await connection.Transport.Output.WriteAsync("HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), cancellationToken);
            await connection.Transport.Output.WriteAsync("HTTP/1.0 200 OK\r\n\r\n"u8.ToArray(), cancellationToken);
        }
        catch
        {
            Release();
            throw;
        }
        var name = $"source client {remote}";
        logger.Connected(name, request.Header("User-Agent") ?? "no User-Agent", request.Method, named, request.Version,
            contentType ?? "none (detected from the frames)", chunked ? ", chunked" : "");
        replies.Forget();
        return new SourceClient(connection.Transport.Input.AsStream(leaveOpen: true), name, contentType, StationInfo.FromHeaders(request.Headers), chunked);
    }

    /// <summary>The source client accepted last is gone: the mount is free.</summary>
    public void Release() => Volatile.Write(ref _busy, 0);
}
