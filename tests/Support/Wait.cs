namespace Davecast.Tests.Support;

public static class Wait
{
    /// <summary>Polls a mount with HEAD until it answers 200; returns its Content-Type.</summary>
    public static async Task<string?> ForMountAsync(string url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
                if (response.IsSuccessStatusCode) return response.Content.Headers.ContentType?.MediaType;
                last = $"{(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{url} did not answer 200 within {timeout} (last: {last})");
    }

    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Polls an asynchronous condition until it holds.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "a condition")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Waits until <paramref name="audio"/> holds <paramref name="frames"/> whole frames, or until
    /// <paramref name="ended"/> says the stream ended (the caller's assertions then say how): a listening window counted
    /// in what the test checks, frames heard, not in time.
    /// </summary>
    public static async Task ForFramesAsync(FrameContinuity continuity, Func<byte[]> audio, int frames, TimeSpan timeout, string what,
        Func<bool>? ended = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            int heard = continuity.Check(audio()).Frames;
            if (heard >= frames || ended?.Invoke() == true) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {frames} frames {what}: {heard} heard");
            await Task.Delay(100);
        }
    }

    /// <summary><see cref="ForFramesAsync"/> for <paramref name="more"/> frames beyond those heard now: a window after an event.</summary>
    public static Task ForMoreFramesAsync(FrameContinuity continuity, Func<byte[]> audio, int more, TimeSpan timeout, string what,
        Func<bool>? ended = null) =>
        ForFramesAsync(continuity, audio, continuity.Check(audio()).Frames + more, timeout, what, ended);

    /// <summary>
    /// Waits until <paramref name="client"/> has heard <paramref name="title"/> and then <paramref name="bytes"/> more
    /// bytes of audio, or until its stream ended: the stream goes on past a title change before the test checks it.
    /// </summary>
    public static async Task ForAudioAfterTitleAsync(IcyClient client, string title, long bytes, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!client.Ended && !(client.Titles.LastOrDefault(t => t.Title == title) is { } at && client.AudioLength >= at.AudioPosition + bytes))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {bytes} bytes of audio after the title '{title}': {client}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Checks that a condition holds for the whole of <paramref name="during"/>, failing as soon as it does not: for
    /// what must NOT happen (a second log line, a drop), where only a quiet period can show it.
    /// </summary>
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan during, string what)
    {
        var end = DateTime.UtcNow + during;
        while (true)
        {
            if (!condition()) throw new Xunit.Sdk.XunitException($"no longer true: {what}");
            if (DateTime.UtcNow >= end) return;
            await Task.Delay(20);
        }
    }
}
