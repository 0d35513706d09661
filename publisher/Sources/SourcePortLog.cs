using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>What the source port logs: once per connection or per source client, never per frame.</summary>
internal static partial class SourcePortLog
{
    [LoggerMessage(LogLevel.Information, "Waiting for an Icecast source client of /{Mount} on {Endpoint}")]
    public static partial void Waiting(this ILogger logger, string mount, string endpoint);

    [LoggerMessage(LogLevel.Information, "{Client} ({Agent}) connected: {Method} /{Mount} {Version}, Content-Type {ContentType}{Chunked}")]
    public static partial void Connected(this ILogger logger, string client, string agent, string method, string mount, string version, string contentType, string chunked);

    [LoggerMessage(LogLevel.Information, "{Client} sends {Parameters}; headers {Headers}")]
    public static partial void Sends(this ILogger logger, string client, string parameters, string headers);

    [LoggerMessage("{Client} is gone after {Frames} frames: {Reason}; waiting for the next source client")]
    public static partial void Gone(this ILogger logger, LogLevel level, string client, long frames, string reason);

    [LoggerMessage("Refusing {Remote}: {Status} {Message}")]
    public static partial void Refusing(this ILogger logger, LogLevel level, string remote, int status, string message);

    [LoggerMessage(LogLevel.Information, "{Remote} sets the title from the next frame on: {Title}")]
    public static partial void TitleSet(this ILogger logger, string remote, string title);

    [LoggerMessage(LogLevel.Debug, "Connection from {Remote} failed: {Error}")]
    public static partial void ConnectionFailed(this ILogger logger, string remote, string error);
}
