namespace Davecast.Http;

/// <summary>What <see cref="RequestHeadParser"/> found in the bytes received so far.</summary>
public enum HeadStatus : byte
{
    /// <summary>The head is not all there yet: read more.</summary>
    Incomplete,

    /// <summary>A whole head, parsed.</summary>
    Complete,

    /// <summary>No end of head within the size limit (answer 431).</summary>
    TooLarge,

    /// <summary>A whole head that is not a request (answer 400).</summary>
    Malformed,
}
