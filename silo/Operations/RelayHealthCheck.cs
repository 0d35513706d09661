using Davecast.Silo.Ingest;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Davecast.Silo.Operations;

/// <summary><c>/healthz</c>: healthy while the ingest port is bound and this silo is an active member of the cluster.</summary>
public sealed class RelayHealthCheck(IngestListener ingest, ISiloStatusOracle silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (ingest.LocalEndPoint is null) return Task.FromResult(HealthCheckResult.Unhealthy("the ingest port is not bound"));
        var status = silo.CurrentStatus;
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"ingest on {ingest.LocalEndPoint}, silo active")
            : HealthCheckResult.Unhealthy($"silo is {status}"));
    }
}
