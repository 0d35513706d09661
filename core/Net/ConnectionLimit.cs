namespace Davecast.Net;

/// <summary>Which limit of a <see cref="ConnectionCounts"/> a new connection would pass.</summary>
public enum ConnectionLimit
{
    /// <summary>The port holds as many connections as it may.</summary>
    Total,

    /// <summary>The connection's source holds as many connections as one source may.</summary>
    PerSource,
}
