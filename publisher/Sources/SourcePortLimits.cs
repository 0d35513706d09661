using Davecast.Http;

namespace Davecast.Publisher.Sources;

/// <summary>What a stranger may hold at the source port before it is a source client (--source-header-* options).</summary>
/// <param name="HeaderBytes">Largest request head; longer ones are answered 431.</param>
/// <param name="HeaderTimeout">How long a connection may take to send its head and be answered; then it is closed.</param>
/// <param name="MaxPending">Connections whose request is being read or answered at once; more are closed at once.</param>
public sealed record SourcePortLimits(int HeaderBytes, TimeSpan HeaderTimeout, int MaxPending)
{
    // Source clients send well under 1 KiB of head in one write; one source streams at a time, so 32 leaves room for encoders retrying and title updates.
    public static readonly SourcePortLimits Default = new(RequestHeadParser.DefaultMaxBytes, RequestHeadParser.DefaultTimeout, 32);
}
