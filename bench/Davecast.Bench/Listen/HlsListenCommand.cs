using System.Globalization;
using Davecast.Bench.Cli;

namespace Davecast.Bench.Listen;

/// <summary>What the HLS clients of <see cref="HlsListenCommand"/> did.</summary>
public sealed record HlsListenReport(int Clients, long Playlists, long Segments, long Bytes, long Errors, string? FirstError);

/// <summary>
/// <c>davecast-bench hls-listen</c>: many HLS clients of one media playlist, as a process of its own. Each reloads the
/// playlist once a target duration, as players do, and fetches every segment it has not had, under its own user agent
/// (so that the edge counts it as a listener of its own). Started at <c>--ramp</c> per second; prints <c>READY n</c>,
/// holds until a <c>stop</c> line (or <c>--max-hold</c> seconds), prints <c>RESULT {json}</c> and exits.
/// </summary>
public static class HlsListenCommand
{
    public static async Task<int> RunAsync(Args args)
    {
        var url = new Uri(args.String("--url", "http://127.0.0.1:8000/programme.mp3.m3u8"));
        int count = args.Int("--count", 100, 1, 100_000);
        int ramp = args.Int("--ramp", 1000, 1, 100_000);
        double maxHold = args.Double("--max-hold", 120, 1, 3600);
        args.Finish();

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = count, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
        using var hold = new CancellationTokenSource(TimeSpan.FromSeconds(maxHold));
        long playlists = 0, segments = 0, bytes = 0, errors = 0;
        string? firstError = null;
        var clients = new List<Task>();
        for (int i = 0; i < count; i++)
        {
            int client = i;
            clients.Add(Task.Run(() => ClientAsync(client)));
            if ((i + 1) % ramp == 0) await Task.Delay(1000);
        }
        Console.WriteLine($"READY {count}");

        async Task ClientAsync(int client)
        {
            long next = -1;
            while (!hold.IsCancellationRequested)
            {
                double target = 6;
                try
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, url);
                    request.Headers.UserAgent.ParseAdd($"davecast-bench-hls/{client}");
                    using var response = await http.SendAsync(request, hold.Token);
                    response.EnsureSuccessStatusCode();
                    var text = await response.Content.ReadAsStringAsync(hold.Token);
                    Interlocked.Increment(ref playlists);
                    long sequence = 0;
                    foreach (var line in text.Split('\n'))
                    {
                        if (line.StartsWith("#EXT-X-TARGETDURATION:", StringComparison.Ordinal)) target = double.Parse(line[22..], CultureInfo.InvariantCulture);
                        else if (line.StartsWith("#EXT-X-MEDIA-SEQUENCE:", StringComparison.Ordinal)) sequence = long.Parse(line[22..], CultureInfo.InvariantCulture);
                        else if (line.Length > 0 && !line.StartsWith('#'))
                        {
                            long n = sequence++;
                            // A new player starts three segments from the end, as hls.js does; then takes each new one.
                            if (next < 0) next = Math.Max(n, LastSequence(text) - 2);
                            if (n < next) continue;
                            var segment = new HttpRequestMessage(HttpMethod.Get, new Uri(url, line));
                            segment.Headers.UserAgent.ParseAdd($"davecast-bench-hls/{client}");
                            using var got = await http.SendAsync(segment, hold.Token);
                            got.EnsureSuccessStatusCode();
                            Interlocked.Add(ref bytes, (await got.Content.ReadAsByteArrayAsync(hold.Token)).Length);
                            Interlocked.Increment(ref segments);
                            next = n + 1;
                        }
                    }
                }
                catch (OperationCanceledException) when (hold.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(target), hold.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        while (await Console.In.ReadLineAsync(hold.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null) is { } line)
            if (line.Trim() == "stop") break;
        await hold.CancelAsync();
        await Task.WhenAll(clients);
        Console.WriteLine(Json.Result(new HlsListenReport(count, playlists, segments, bytes, errors, firstError)));
        Console.Out.Flush();
        return 0;
    }

    private static long LastSequence(string playlist)
    {
        long sequence = 0, last = 0;
        foreach (var line in playlist.Split('\n'))
        {
            if (line.StartsWith("#EXT-X-MEDIA-SEQUENCE:", StringComparison.Ordinal)) sequence = long.Parse(line[22..], CultureInfo.InvariantCulture);
            else if (line.Length > 0 && !line.StartsWith('#')) last = sequence++;
        }
        return last;
    }
}
