using Davecast.Grains;

namespace Davecast.Edge.Sites;

/// <summary>
/// Combines the sites' views of one mount into the one this edge plays by, deterministically: every edge that
/// sees the same views makes the same choice. The election followed is that of the first site, in name order,
/// whose live encoder is healthy there by its own encoder timeout (else the first site that has elected one);
/// relays and edges are the union of all sites', the encoder timeout the largest. During a split an edge so
/// follows the site it can reach, and after the heal every edge follows the same one again.
/// </summary>
public static class SiteViews
{
    /// <summary>A site's view older than this (the site unreachable) is left out.</summary>
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(5);

    /// <param name="views">Fresh views, in site name order.</param>
    public static MountInfo? Combine(string mount, IReadOnlyList<SiteView> views)
    {
        var now = DateTimeOffset.UtcNow;
        MountInfo? chosen = null, fallback = null;
        var infos = new List<MountInfo>(views.Count);
        foreach (var view in views)
        {
            if (!view.Mounts.TryGetValue(mount, out var info)) continue;
            infos.Add(info);
            if (info.LiveEncoder is null) continue;
            fallback ??= info;
            if (chosen is null && info.Encoders.Any(e => e.Encoder == info.LiveEncoder && e.Session == info.LiveSession && Healthy(e, now, info.HealthTimeout)))
                chosen = info;
        }
        chosen ??= fallback ?? infos.FirstOrDefault();
        if (chosen is null) return null;
        if (infos.Count == 1) return chosen;
        var admin = infos.Where(i => i.AdminTitle is not null).MaxBy(i => i.AdminTitleVersion);
        return chosen with
        {
            Parameters = chosen.Parameters ?? infos.Select(i => i.Parameters).FirstOrDefault(p => p is not null),
            Relays = [.. infos.SelectMany(i => i.Relays).Distinct().Order(StringComparer.Ordinal)],
            Edges = [.. infos.SelectMany(i => i.Edges ?? []).GroupBy(e => e.Edge).Select(g => g.MaxBy(e => e.At)!).OrderBy(e => e.Edge, StringComparer.Ordinal)],
            AdminTitle = admin?.AdminTitle ?? chosen.AdminTitle,
            AdminTitleVersion = admin?.AdminTitleVersion ?? chosen.AdminTitleVersion,
            // The largest: the edge gives up on an encoder only when every site's election would.
            EncoderTimeout = infos.Max(i => i.HealthTimeout),
        };
    }

    /// <summary>As the election has it: not refused, and its last frame no older than the encoder timeout.</summary>
    public static bool Healthy(EncoderStatus e, DateTimeOffset now, TimeSpan timeout) =>
        ElectionRule.IsHealthy(e, now, timeout);
}
