using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Davecast.Cli;
using Davecast.Frames;
using Davecast.Http;
using Davecast.Wire;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Davecast.Publisher.Sources;

/// <summary>
/// Frames pushed by Icecast source clients (ffmpeg, Liquidsoap, BUTT, DarkIce) to the publisher's source port, a
/// Kestrel server whose connections <see cref="SourcePortHandler"/> answers as Icecast 2.4 does. One source client
/// streams at a time; its request's ice-*/icy-* headers become the station's, and a title update takes effect from
/// the next frame on. When the source client goes, the frames wait for the next one, in the same session.
/// </summary>
public sealed class IcecastSourceListener : LiveFrameSource
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly KestrelServer _server;
    private readonly ListenOptions _listen;
    private readonly SourceAdmission _admission;
    private readonly PortRefusals<SourcePortRefusal> _refusals;
    private readonly SourcePortHandler _handler;
    private readonly Channel<SourceClient> _accepted = Channel.CreateUnbounded<SourceClient>();
    private readonly CancellationTokenSource _stop = new();
    private string? _nextTitle;
    private SourceClient? _client;
    private IdleTimeoutReader? _reader;
    private ConnectionAudio? _audio;

    private IcecastSourceListener(
        IPEndPoint endpoint, string mount, Credentials source, Credentials? admin, SourcePortLimits limits, TimeSpan refusalLogInterval, CodecKind codec,
        ILoggerFactory loggers, ILogger logger)
        : base(codec, logger)
    {
        var replies = new SourcePortReplies(logger);
        _admission = new SourceAdmission(mount, source, replies, logger);
        _refusals = new PortRefusals<SourcePortRefusal>("Source port (--listen-source)", reason => Describe(reason, limits), logger, refusalLogInterval);
        var updinfo = new UpdinfoHandler(mount, source, admin, title => Interlocked.Exchange(ref _nextTitle, title), replies, logger);
        var handler = _handler = new SourcePortHandler(mount, _admission, updinfo, replies, _accepted.Writer.TryWrite, limits, _refusals, logger, _stop.Token);
        var options = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = new ServiceCollection().BuildServiceProvider() };
        ListenOptions? listen = null;
        options.Listen(endpoint, l => (listen = l).Run(handler.OnConnectedAsync));
        _listen = listen!;
        _server = new KestrelServer(
            Options.Create(options),
            new NamedPortListenerFactory(new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggers), "--listen-source"),
            loggers);
    }

    /// <summary>Listens at <paramref name="endpoint"/>; throws <see cref="ListenFailure"/>, naming --listen-source, when it cannot.</summary>
    /// <param name="mount">The mount source clients must name, normalised (<see cref="MountName.Normalize"/>).</param>
    /// <param name="admin">A second login that may update titles, or null.</param>
    /// <param name="refusalLogInterval">Least time between two log lines about connections closed by <paramref name="limits"/>.</param>
    public static async Task<IcecastSourceListener> StartAsync(
        IPEndPoint endpoint, string mount, Credentials source, Credentials? admin, SourcePortLimits limits, TimeSpan refusalLogInterval, CodecKind codec,
        ILoggerFactory loggers, ILogger logger, CancellationToken cancellationToken)
    {
        var listener = new IcecastSourceListener(endpoint, mount, source, admin, limits, refusalLogInterval, codec, loggers, logger);
        try
        {
            await listener._server.StartAsync(new NoRequests(), cancellationToken);
        }
        catch (ListenFailure)
        {
            listener._server.Dispose();
            listener._refusals.Dispose();
            throw;
        }
        logger.Waiting(mount, listener.LocalEndPoint.ToString());
        return listener;
    }

    public IPEndPoint LocalEndPoint => _listen.IPEndPoint!;

    public override string Name => $"source clients at {LocalEndPoint}";

    /// <summary>Connections closed by a cap since start (for /metrics).</summary>
    public long Refused(SourcePortRefusal reason) => _refusals.Total(reason);

    /// <inheritdoc cref="SourcePortHandler.Pending"/>
    public int Pending => _handler.Pending;

    /// <inheritdoc cref="SourcePortHandler.Streaming"/>
    public int Streaming => _handler.Streaming;

    public override async ValueTask<bool> ReadAsync(SourceFrame frame, CancellationToken cancellationToken)
    {
        while (true)
        {
            var client = _client ??= await NextClientAsync(cancellationToken);
            if (Interlocked.Exchange(ref _nextTitle, null) is { } title) client.Audio.AddTitle(long.MinValue, title);
            if (client.Audio.TryReadFrame(frame, client.Ended))
            {
                if (client.Audio.Frames > 1) return true;
                if (CheckFirstFrame(frame.Parameters, client.ContentType, client.Name) is { } refusal)
                {
                    Drop(LogLevel.Error, refusal);
                    continue;
                }
                LearnHeaders(client.Station);
                Logger.Sends(client.Name, frame.Parameters.ToString(), StationInfo.Describe(client.Station));
                return true;
            }
            if (client.Ended)
            {
                Drop(LogLevel.Information, "it ended the stream");
                continue;
            }
            if (client.Audio.IsNotAudio)
            {
                Drop(LogLevel.Warning, NoFramesReason());
                continue;
            }
            try
            {
                var space = client.Audio.GetSpace(16 * 1024);
                int n = await _reader!.ReadAsync(space);
                client.Received(space.Span[..n]);
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException or InvalidDataException)
            {
                Drop(LogLevel.Warning, e.Message);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _accepted.Writer.TryComplete();
        DropQuietly();
        while (_accepted.Reader.TryRead(out var waiting)) waiting.Dispose();
        using (var timeout = new CancellationTokenSource(StopTimeout)) await _server.StopAsync(timeout.Token);
        _server.Dispose();
        _refusals.Dispose();
        _stop.Dispose();
    }

    private async Task<SourceClient> NextClientAsync(CancellationToken cancellationToken)
    {
        var client = await _accepted.Reader.ReadAsync(cancellationToken);
        _audio = new ConnectionAudio(Codec, _audio);
        client.Start(_audio);
        _reader = new IdleTimeoutReader(client.Body, cancellationToken);
        return client;
    }

    private void Drop(LogLevel level, string reason)
    {
        var client = _client!;
        DropQuietly();
        Logger.Gone(level, client.Name, client.Audio.Frames, reason);
        _admission.Release();
    }

    private void DropQuietly()
    {
        _reader?.Dispose();
        _reader = null;
        _client?.Dispose();
        _client = null;
    }

    private static string Describe(SourcePortRefusal reason, SourcePortLimits limits) => reason switch
    {
        SourcePortRefusal.TooManyPending => $"over --source-max-pending ({limits.MaxPending} connections not yet streaming)",
        SourcePortRefusal.HeaderTimeout => $"with no whole request within --source-header-timeout ({limits.HeaderTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)",
        _ => $"with a request head over --source-header-bytes ({limits.HeaderBytes} bytes)",
    };

    // The port's connections never reach Kestrel's HTTP layer: SourcePortHandler ends the pipeline.
    private sealed class NoRequests : IHttpApplication<object>
    {
        public object CreateContext(IFeatureCollection contextFeatures) => throw new InvalidOperationException("the source port serves no HTTP requests");

        public Task ProcessRequestAsync(object context) => Task.CompletedTask;

        public void DisposeContext(object context, Exception? exception)
        {
        }
    }
}
