using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Davecast.Frames;
using Davecast.Icy;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>
/// Frames pulled from an Icecast (or Shoutcast, or plain HTTP) mount, as a player would: GET with
/// <c>Icy-MetaData: 1</c>. The ICY metadata blocks are taken out of the audio, and each title takes effect at the first
/// frame that starts at or after the block. The answer's icy-*/ice-* headers become the station's. When the upstream
/// drops, refuses or stalls, the source reconnects with exponential backoff and the frames go on, in the same session.
/// </summary>
public sealed class IcecastPullSource : LiveFrameSource
{
    /// <summary>How long the upstream may take to connect and answer.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A connection that delivered frames this long was healthy: the next failure starts the backoff afresh.</summary>
    public static readonly TimeSpan HealthyAfter = TimeSpan.FromSeconds(10);

    private const int MaxMetaInterval = 1 << 20;

    private readonly Uri _url;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly HttpClient _http;
    private readonly Backoff _backoff;
    private readonly byte[] _read = new byte[16 * 1024];
    private Upstream? _upstream;
    private ConnectionAudio? _audio;
    private TimeSpan _wait;
    private string? _failure; // the failure last logged, while failing
    private int _failures;    // failed attempts since the last good connection

    /// <param name="url">http:// or https://, with user:password for basic authentication if needed.</param>
    /// <param name="longestWait">Longest wait between reconnection attempts.</param>
    public IcecastPullSource(Uri url, CodecKind codec, TimeSpan longestWait, ILogger logger) : base(codec, logger)
    {
        if (url.UserInfo.Length > 0)
        {
            // user:password (the password may be left out), each percent-encoded in the URL.
            var userInfo = url.UserInfo.Contains(':') ? url.UserInfo : url.UserInfo + ":";
            var login = string.Join(':', userInfo.Split(':', 2).Select(Uri.UnescapeDataString));
            _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(login)));
        }
        _url = new UriBuilder(url) { UserName = "", Password = "" }.Uri;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = IcyStatusLineStream.ConnectAsync,
            ConnectTimeout = AnswerTimeout,
            AutomaticDecompression = DecompressionMethods.None,
            ResponseHeaderEncodingSelector = (_, _) => Encoding.UTF8,
        })
        {
            Timeout = AnswerTimeout,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("davecast-publisher/1.0");
        _backoff = new Backoff(longestWait);
    }

    public override string Name => $"upstream {_url}";

    public override async ValueTask<bool> ReadAsync(SourceFrame frame, CancellationToken cancellationToken)
    {
        while (true)
        {
            var upstream = _upstream ??= await ConnectAsync(cancellationToken);
            if (upstream.Audio.TryReadFrame(frame, upstream.Ended))
            {
                if (upstream.Audio.Frames > 1) return true;
                if (CheckFirstFrame(frame.Parameters, upstream.ContentType, Name) is { } refusal)
                {
                    Drop(refusal);
                    continue;
                }
                Up(upstream, frame.Parameters);
                return true;
            }
            if (upstream.Ended)
            {
                Drop("the upstream ended the stream");
                continue;
            }
            if (upstream.Audio.IsNotAudio)
            {
                Drop(NoFramesReason());
                continue;
            }
            try
            {
                int n = await upstream.Reader.ReadAsync(_read);
                if (n == 0) upstream.Ended = true;
                else upstream.Demuxer.Feed(_read.AsSpan(0, n), upstream);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or TimeoutException)
            {
                Drop(e.Message);
            }
        }
    }

    public override ValueTask DisposeAsync()
    {
        _upstream?.Dispose();
        _upstream = null;
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    // Connects, waiting out the backoff after a failure, until an upstream answers 200.
    private async Task<Upstream> ConnectAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_wait > TimeSpan.Zero) await Task.Delay(_wait, cancellationToken);
            HttpResponseMessage? response = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, _url);
                request.Headers.Add("Icy-MetaData", "1");
                request.Headers.Authorization = _authorization;
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    Fail($"the upstream answers {(int)response.StatusCode} {response.ReasonPhrase}");
                    response.Dispose();
                    continue;
                }
                if (!TryGetMetaInterval(response, out int interval))
                {
                    Fail($"the upstream's icy-metaint is not a number of bytes (1-{MaxMetaInterval})");
                    response.Dispose();
                    continue;
                }
                var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                var contentType = response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var types) ? types.ToString() : null;
                var station = StationInfo.FromHeaders(response.Headers.NonValidated.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString())));
                _audio = new ConnectionAudio(Codec, _audio);
                Logger.LogDebug("Connected to {Url}: {Status}", _url, (int)response.StatusCode);
                return new Upstream(response, stream, interval, contentType, station, _audio, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                response?.Dispose();
                Fail(e.Message);
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                Fail($"no answer within {AnswerTimeout.TotalSeconds:0} s");
            }
        }
    }

    private static bool TryGetMetaInterval(HttpResponseMessage response, out int interval)
    {
        interval = 0;
        if (!response.Headers.NonValidated.TryGetValues("icy-metaint", out var values)) return true;
        return int.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out interval) && interval is > 0 and <= MaxMetaInterval;
    }

    // The first frame of a connection is good: the upstream is up.
    private void Up(Upstream upstream, in CodecParameters parameters)
    {
        upstream.Uptime.Start();
        LearnHeaders(upstream.Station);
        Logger.LogInformation(
            "Pulling {Url}{Recovery}: {Parameters}, Content-Type {ContentType}, icy-metaint {MetaInt}, headers {Headers}",
            _url, _failures > 0 ? $" again after {_failures} failed attempt(s)" : "", parameters, upstream.ContentType ?? "none",
            upstream.Interval == 0 ? "none" : upstream.Interval.ToString(CultureInfo.InvariantCulture), StationInfo.Describe(upstream.Station));
        _failure = null;
        _failures = 0;
    }

    // The connection is lost; the next one comes after a wait, which starts afresh if this one was healthy.
    private void Drop(string reason)
    {
        var upstream = _upstream!;
        _upstream = null;
        upstream.Dispose();
        if (upstream.Uptime.Elapsed >= HealthyAfter) _backoff.Reset();
        Fail(reason);
    }

    // Logs a failure once while it stays the same, and sets the wait before the next attempt.
    private void Fail(string reason)
    {
        _failures++;
        _wait = _backoff.Next();
        var level = reason == _failure ? LogLevel.Debug : LogLevel.Warning;
        _failure = reason;
        Logger.Log(level, "{Source}: {Reason}; trying again in {Wait:0.0} s (attempt {Attempt})", Name, reason, _wait.TotalSeconds, _failures + 1);
    }

    // One connection: its answer, the demuxer that takes the titles out, and its audio.
    private sealed class Upstream(
        HttpResponseMessage response, Stream stream, int interval, string? contentType, IReadOnlyList<KeyValuePair<string, string>> station,
        ConnectionAudio audio, CancellationToken cancellationToken) : IIcySink, IDisposable
    {
        public IdleTimeoutReader Reader { get; } = new(stream, cancellationToken);
        public IcyDemuxer Demuxer { get; } = new(interval);
        public ConnectionAudio Audio => audio;
        public int Interval => interval;
        public string? ContentType => contentType;
        public IReadOnlyList<KeyValuePair<string, string>> Station => station;

        /// <summary>Runs from the first good frame on.</summary>
        public Stopwatch Uptime { get; } = new();

        public bool Ended { get; set; }

        void IIcySink.Audio(ReadOnlySpan<byte> data) => audio.Append(data);

        public void Metadata(ReadOnlySpan<byte> text, long audioPosition)
        {
            if (IcyMetadata.TryReadTitle(text, out var title)) audio.AddTitle(audioPosition, StationInfo.CutToBytes(title, MaxTitleBytes));
        }

        public void Dispose()
        {
            Reader.Dispose();
            stream.Dispose();
            response.Dispose();
        }
    }
}
