using System.Text.Json;
using System.Text.Json.Serialization;

namespace Davecast.Grains;

/// <summary>How health documents are written: indented camelCase JSON without nulls.</summary>
public static class HealthJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>
/// An encoder's health as shown to people and monitoring (an edge's <c>/davecast/health</c>, a relay's
/// <c>/mounts.json</c>): the mount grain's <see cref="EncoderStatus"/> with ages instead of times.
/// </summary>
public sealed record EncoderHealth(
    string Encoder,
    ulong Session,
    int Priority,
    bool Healthy,
    DateTimeOffset? HealthySince,
    double FramesPerSecond,
    long LastFrameAgeMs,
    ulong LastSequence,
    IReadOnlyList<string> Relays,
    long FramesAccepted,
    long DuplicatesDropped,
    long Gaps,
    string? Refused)
{
    /// <summary>Healthy: not refused, and its last frame is at most <paramref name="timeout"/> old (as in the election).</summary>
    public static EncoderHealth Of(EncoderStatus e, DateTimeOffset now, TimeSpan timeout) => new(
        e.Encoder,
        e.Session,
        e.Priority,
        ElectionRule.IsHealthy(e, now, timeout),
        e.HealthySince,
        Math.Round(e.FramesPerSecond, 2),
        (long)(now - e.LastFrameAt).TotalMilliseconds,
        e.LastSequence,
        e.SeenBy,
        e.FramesAccepted,
        e.Duplicates,
        e.Gaps,
        e.RefusedReason);
}
