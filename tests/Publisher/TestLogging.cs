using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Davecast.Tests.Publisher;

/// <summary>Log lines of an in-process publisher: kept for assertions and written to the test's output.</summary>
internal sealed class TestLogging(ITestOutputHelper output) : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        Lines.Enqueue(line);
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test has finished; a late line has nowhere to go.
        }
    }

    private sealed class Logger(TestLogging owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write($"{DateTime.Now:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}
