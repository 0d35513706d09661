using Davecast.Cli;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using Davecast.Publisher.Cli;
using Davecast.Publisher.Metrics;
using Davecast.Publisher.Paths;
using Davecast.Publisher.Publishing;
using Davecast.Publisher.Sources;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher;

/// <summary>Entry point of davecast-publisher, callable in-process by tests.</summary>
public static class PublisherApp
{
    /// <summary>As the executable runs: console output and logs, SIGTERM and Ctrl-C stop it cleanly.</summary>
    public static Task<int> RunAsync(string[] args) =>
        RunAsync(args, Console.Out, Console.Error, loggerFactory: null, handleSignals: true, environmentName: null, CancellationToken.None);

    /// <summary>
    /// In-process: cancelling <paramref name="cancellationToken"/> stops the publisher as SIGTERM does.
    /// <paramref name="environmentName"/> stands for DOTNET_ENVIRONMENT (Development allows the development secrets).
    /// </summary>
    public static Task<int> RunAsync(
        string[] args, ILoggerFactory loggerFactory, TextWriter output, TextWriter error, string environmentName, CancellationToken cancellationToken) =>
        RunAsync(args, output, error, loggerFactory, handleSignals: false, environmentName, cancellationToken);

    private static async Task<int> RunAsync(
        string[] args, TextWriter output, TextWriter error, ILoggerFactory? loggerFactory, bool handleSignals, string? environmentName,
        CancellationToken cancellationToken)
    {
        var command = new PublisherCommand();
        command.Root.SetAction(async (parseResult, token) =>
        {
            var options = command.ToOptions(parseResult);
            using var ownLogging = loggerFactory is null ? CreateLoggerFactory() : null;
            var logging = loggerFactory ?? ownLogging!;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            using var sigterm = handleSignals ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop) : null;
            using var sigint = handleSignals ? PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop) : null;

            var sourceLogger = logging.CreateLogger("Davecast.Publisher.Source");
            // A --listen-source port that cannot be bound is a ListenFailure, which ProgramRunner reports.
            await using var source = await CreateSourceAsync(options, logging, sourceLogger, stop.Token);
            var session = new PublishSession(
                options, source, (packetsPerSecond, replies) => PathFactory.Create(options, packetsPerSecond, replies, logging), logging);
            // A --metrics-listen port that cannot be bound is a ListenFailure too.
            await using var metrics = options.MetricsListen is { } metricsAt
                ? await MetricsEndpoint.StartAsync(metricsAt, options.EncoderId, session, source as IcecastSourceListener, logging.CreateLogger("Davecast.Publisher"), stop.Token)
                : null;
            return await session.RunAsync(stop.Token);

            void Stop(PosixSignalContext context)
            {
                // Stop cleanly instead of being killed: the publisher sends its last heartbeat and exits 0.
                context.Cancel = true;
                stop.Cancel();
            }
        });

        // Signals are handled above, so that a clean stop exits with 0.
        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        return await ProgramRunner.RunAsync(
            command.Root, args, "davecast-publisher", command.Secrets, output, error, cancellationToken, environmentName, configuration);
    }

    private static async Task<IFrameSource> CreateSourceAsync(PublisherOptions options, ILoggerFactory loggers, ILogger logger, CancellationToken cancellationToken) => options switch
    {
        { File: { } file } => StreamFrameSource.ForFile(file, options.Loop, options.Codec, logger),
        { SourceUrl: { } url } => new IcecastPullSource(url, options.Codec, options.ReconnectMax, logger),
        { ListenSource: { } endpoint } => await IcecastSourceListener.StartAsync(
            endpoint, options.Mount, options.SourceLogin, options.AdminLogin, options.SourceLimits,
            options.StatsInterval > TimeSpan.Zero ? options.StatsInterval : PublisherOptions.DefaultStatsInterval, options.Codec, loggers, logger, cancellationToken),
        _ => StreamFrameSource.ForStdin(options.Codec, logger),
    };

    private static ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(logging => logging
        .SetMinimumLevel(LogLevel.Information)
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        })
        .Sieve());
}
