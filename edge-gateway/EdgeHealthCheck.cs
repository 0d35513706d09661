using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Davecast.Edge;

/// <summary>
/// <c>/healthz</c>: healthy while some site's cluster answers. Which relays' feeds are live, site by site, is in
/// <c>/davecast/health</c>.
/// </summary>
public sealed class EdgeHealthCheck(MountCatalog catalog) : IHealthCheck
{
    /// <summary>Each site is asked every second; this long without an answer from any is unhealthy.</summary>
    public static readonly TimeSpan MaxSinceContact = TimeSpan.FromSeconds(10);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(catalog.SinceContact switch
        {
            null => HealthCheckResult.Unhealthy("has not reached any site's cluster yet"),
            { } since when since > MaxSinceContact => HealthCheckResult.Unhealthy($"last reached a site's cluster {since.TotalSeconds:F0} s ago"),
            _ => HealthCheckResult.Healthy("reaches a site's cluster"),
        });
}
