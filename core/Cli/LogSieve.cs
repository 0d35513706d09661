using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Davecast.Cli;

/// <summary>
/// What a program's log leaves out: the stack trace of an entry about a <see cref="ListenFailure"/> (the host's
/// "Hosting failed to start", Orleans' failed start), since <see cref="ProgramRunner"/> prints the failure as one
/// line; and single events, by category and event id, that a library logs about a choice made on purpose.
/// </summary>
public static class LogSieve
{
    /// <summary>Wraps every logger provider registered so far; call after the last one is added.</summary>
    /// <param name="dropped">Events never written, as (category, event id).</param>
    public static ILoggingBuilder Sieve(this ILoggingBuilder logging, params (string Category, int EventId)[] dropped)
    {
        var services = logging.Services;
        for (int i = 0; i < services.Count; i++)
        {
            var d = services[i];
            if (d.ServiceType != typeof(ILoggerProvider) || d.IsKeyedService) continue;
            services[i] = new ServiceDescriptor(typeof(ILoggerProvider), sp => new Provider((ILoggerProvider)(
                d.ImplementationInstance ?? d.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!)), dropped), d.Lifetime);
        }
        return logging;
    }

    private sealed class Provider(ILoggerProvider inner, (string Category, int EventId)[] dropped) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) =>
            new Logger(inner.CreateLogger(categoryName), [.. dropped.Where(e => e.Category == categoryName).Select(e => e.EventId)]);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => (inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Logger(ILogger inner, int[] droppedEvents) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (droppedEvents.Length > 0 && droppedEvents.Contains(eventId.Id)) return;
            inner.Log(logLevel, eventId, state, ListenFailure.Find(exception) is null ? exception : null, formatter);
        }
    }
}
