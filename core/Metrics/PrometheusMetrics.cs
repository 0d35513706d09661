using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Davecast.Metrics;

/// <summary>
/// How every Davecast program exports its meter: OpenTelemetry's Prometheus exporter, served at <c>/metrics</c> by
/// <c>MapPrometheusScrapingEndpoint</c>, with the program and its instance named in <c>target_info</c>.
/// </summary>
public static class PrometheusMetrics
{
    /// <param name="service">The program, e.g. "davecast-relay".</param>
    /// <param name="instance">This one among its kind (its --name, or the publisher's --encoder).</param>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services, string service, string instance, string meterName)
    {
        // The program's meter and the runtime's; the program resolves RuntimeMetrics at start, as its own meter's class.
        services.AddSingleton<RuntimeMetrics>();
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(service, serviceInstanceId: instance))
            .WithMetrics(m => m.AddMeter(meterName, RuntimeMetrics.MeterName).AddPrometheusExporter());
        return services;
    }
}
