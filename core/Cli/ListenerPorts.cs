using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Davecast.Cli;

/// <summary>
/// Names the option behind each port that Kestrel or Orleans binds inside their own start: their listener factories
/// are wrapped so that a failed bind becomes a <see cref="ListenFailure"/> for the port's option.
/// </summary>
public static class ListenerPorts
{
    /// <summary>
    /// Wraps every <see cref="IConnectionListenerFactory"/> registered so far (Kestrel's, Orleans' silo and gateway
    /// listeners). <paramref name="ports"/> maps a port to the option that sets it; call after the last registration.
    /// </summary>
    public static IServiceCollection NameListenerPorts(this IServiceCollection services, IReadOnlyList<(int Port, string Option)> ports)
    {
        for (int i = 0; i < services.Count; i++)
        {
            var d = services[i];
            if (d.ServiceType != typeof(IConnectionListenerFactory)) continue;
            services[i] = d.IsKeyedService
                ? new ServiceDescriptor(d.ServiceType, d.ServiceKey, (sp, key) => new NamedPortListenerFactory(Keyed(d, sp, key), ports), d.Lifetime)
                : new ServiceDescriptor(d.ServiceType, sp => new NamedPortListenerFactory(Plain(d, sp), ports), d.Lifetime);
        }
        return services;
    }

    private static IConnectionListenerFactory Plain(ServiceDescriptor d, IServiceProvider sp) => (IConnectionListenerFactory)(
        d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));

    private static IConnectionListenerFactory Keyed(ServiceDescriptor d, IServiceProvider sp, object? key) => (IConnectionListenerFactory)(
        d.KeyedImplementationInstance ?? d.KeyedImplementationFactory?.Invoke(sp, key) ?? ActivatorUtilities.CreateInstance(sp, d.KeyedImplementationType!));
}

/// <summary>A listener factory whose failed binds name the option of the port (<see cref="ListenerPorts"/>).</summary>
public sealed class NamedPortListenerFactory(IConnectionListenerFactory inner, IReadOnlyList<(int Port, string Option)> ports) : IConnectionListenerFactory
{
    /// <summary>For a listener made outside dependency injection, whose one port <paramref name="option"/> sets.</summary>
    public NamedPortListenerFactory(IConnectionListenerFactory inner, string option) : this(inner, [(-1, option)])
    {
    }

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.BindAsync(endpoint, cancellationToken);
        }
        catch (Exception e) when (ListenFailure.SocketErrorIn(e) is { } error)
        {
            throw ListenFailure.Of(endpoint, "TCP", OptionOf(endpoint), error);
        }
    }

    private string OptionOf(EndPoint endpoint)
    {
        int port = (endpoint as IPEndPoint)?.Port ?? -1;
        var named = ports.Where(p => p.Port == port || p.Port == -1).Select(p => p.Option).Distinct().ToList();
        // Two options given the same port: either may be the one to change.
        return named.Count > 0 ? string.Join(" or ", named) : "a port option";
    }
}
