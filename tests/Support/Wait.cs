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
            // A HEAD that times out (a starved machine) is one more "not yet", as a refused connection is.
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
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
