namespace Davecast.Grains;

/// <summary>
/// A title set by an operator (an edge's <c>/admin/metadata</c>), with the one rule of how long it holds: it replaces
/// the source's title of the moment (<paramref name="Over"/>) until the source's title changes, and of two operator
/// titles the higher version wins. The mount grain applies the rule and hands the title on while it holds
/// (<see cref="MountInfo.AdminTitle"/>); an edge applies what it is handed from its next frame, in the order it learns
/// titles (<c>MountTitles</c>), and decides nothing about it.
/// </summary>
/// <param name="Version">Orders titles set through several edges: the setting edge's clock, in ticks.</param>
/// <param name="Over">The source's title when it was set.</param>
public readonly record struct OperatorTitle(string Title, long Version, string? Over)
{
    /// <summary>Whether a title of <paramref name="version"/> replaces one of <paramref name="current"/> (0: none).</summary>
    public static bool IsNewer(long version, long current) => version > current;

    /// <summary>Whether it still holds now that the source's title is <paramref name="sourceTitle"/>.</summary>
    public bool HoldsOver(string? sourceTitle) => string.Equals(sourceTitle, Over, StringComparison.Ordinal);
}
