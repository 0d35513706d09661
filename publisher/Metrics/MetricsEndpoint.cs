using System.Diagnostics.Metrics;
using System.Net;
using Davecast.Cli;
using Davecast.Metrics;
using Davecast.Publisher.Publishing;
using Davecast.Publisher.Sources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Metrics;

/// <summary>
/// The publisher's <c>GET /metrics</c> at --metrics-listen: a host of its own, apart from the source port, so that
/// encoders' port serves encoders only and scrapers reach only what the operator opened to them.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsEndpoint(WebApplication app) => _app = app;

    /// <summary>Listens at <paramref name="endpoint"/>; throws <see cref="ListenFailure"/>, naming --metrics-listen, when it cannot.</summary>
    /// <param name="instance">The publisher's --encoder, named in <c>target_info</c>.</param>
    public static async Task<MetricsEndpoint> StartAsync(
        IPEndPoint endpoint, string instance, PublishSession session, IcecastSourceListener? sourcePort, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        // The publisher handles SIGTERM and Ctrl-C itself and stops this host when it stops.
        builder.Services.AddSingleton<IHostLifetime, NoSignals>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(endpoint);
        });
        builder.Services.AddPrometheusMetrics("davecast-publisher", instance, PublisherMetrics.MeterName);
        builder.Services.AddSingleton(sp => new PublisherMetrics(sp.GetRequiredService<IMeterFactory>(), session, sourcePort));
        builder.Services.NameListenerPorts([(endpoint.Port, "--metrics-listen")]);

        var app = builder.Build();
        app.Services.GetRequiredService<PublisherMetrics>();
        app.Services.GetRequiredService<RuntimeMetrics>();
        app.MapPrometheusScrapingEndpoint();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? endpoint.ToString();
        logger.LogInformation("Metrics at {Address}/metrics (--metrics-listen)", address);
        return new MetricsEndpoint(app);
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5))) await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }

    private sealed class NoSignals : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
