using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Davecast.Edge;

/// <summary><c>/healthz</c>: healthy while the mount catalog's refresh loop reaches the cluster.</summary>
public sealed class EdgeHealthCheck(MountCatalog catalog) : IHealthCheck
{
    /// <summary>The catalog refreshes every second; this long without reaching the cluster is unhealthy.</summary>
    public static readonly TimeSpan MaxSinceContact = TimeSpan.FromSeconds(10);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(catalog.SinceContact switch
        {
            null => HealthCheckResult.Unhealthy("has not reached the cluster yet"),
            { } since when since > MaxSinceContact => HealthCheckResult.Unhealthy($"last reached the cluster {since.TotalSeconds:F0} s ago"),
            _ => HealthCheckResult.Healthy("reaches the cluster"),
        });
}
