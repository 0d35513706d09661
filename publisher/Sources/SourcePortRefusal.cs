namespace Davecast.Publisher.Sources;

/// <summary>Why the source port closed a connection before it was a source client or answered.</summary>
public enum SourcePortRefusal
{
    /// <summary>More than <see cref="SourcePortLimits.MaxPending"/> connections were being read.</summary>
    TooManyPending,

    /// <summary>No whole request within <see cref="SourcePortLimits.HeaderTimeout"/> (a slow or silent client).</summary>
    HeaderTimeout,

    /// <summary>A request head over <see cref="SourcePortLimits.HeaderBytes"/> (answered 431).</summary>
    HeaderTooLarge,
}
