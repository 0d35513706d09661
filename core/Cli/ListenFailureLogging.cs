using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Davecast.Cli;

/// <summary>
/// Log entries about a <see cref="ListenFailure"/> (the host's "Hosting failed to start", Orleans' failed start) are
/// written without their exception: <see cref="ProgramRunner"/> prints the failure as one line, and a stack trace
/// would bury it.
/// </summary>
public static class ListenFailureLogging
{
    /// <summary>Wraps every logger provider registered so far; call after the last one is added.</summary>
    public static ILoggingBuilder WithoutListenFailureTraces(this ILoggingBuilder logging)
    {
        var services = logging.Services;
        for (int i = 0; i < services.Count; i++)
        {
            var d = services[i];
            if (d.ServiceType != typeof(ILoggerProvider) || d.IsKeyedService) continue;
            services[i] = new ServiceDescriptor(typeof(ILoggerProvider), sp => new Provider((ILoggerProvider)(
                d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!))), d.Lifetime);
        }
        return logging;
    }

    private sealed class Provider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName));

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => (inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, ListenFailure.Find(exception) is null ? exception : null, formatter);
    }
}
