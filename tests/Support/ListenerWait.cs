namespace Davecast.Tests.Support;

/// <summary>
/// Waits on what a listener heard, with a deadline: listening windows counted in frames and bytes of audio, which the
/// tests check, rather than in time. (Apart from <see cref="Wait"/>, which the unit tests share without the listeners.)
/// </summary>
public static class ListenerWait
{
    /// <summary>
    /// Waits until <paramref name="audio"/> holds <paramref name="frames"/> whole frames, or until
    /// <paramref name="ended"/> says the stream ended (the caller's assertions then say how).
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
}
