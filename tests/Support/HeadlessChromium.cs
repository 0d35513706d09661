using System.Diagnostics;

namespace Davecast.Tests.Support;

/// <summary>
/// Runs headless Chromium (Debian's <c>chromium</c>): loads a page and returns the DOM after its scripts ran, with a
/// screenshot; or keeps a page open (a player) until disposed.
/// </summary>
public static class HeadlessChromium
{
    // What every run needs: no sandbox (tests run as root), no GPU, no traffic of its own.
    private static readonly string[] CommonFlags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <summary>
    /// Opens <paramref name="url"/> (credentials may be in it: http://user:password@host/), lets its scripts run for
    /// 5 s of virtual time, saves a 1280x800 screenshot to <paramref name="screenshot"/> and returns the DOM.
    /// </summary>
    public static async Task<string> LoadAsync(string url, string screenshot, TimeSpan timeout)
    {
        var profile = Directory.CreateTempSubdirectory("davecast-chromium-");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(screenshot))!);
        using var process = Start(profile, [$"--screenshot={screenshot}", "--window-size=1280,800", "--virtual-time-budget=5000", "--dump-dom", url]);
        var dom = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish within {timeout}: {await errors}");
        }
        finally
        {
            DeleteProfile(profile);
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"chromium exited {process.ExitCode}: {await errors}");
        return await dom;
    }

    /// <summary>
    /// Opens <paramref name="url"/> in real time and leaves it running, for a page that plays audio and reports what
    /// it saw by itself: autoplay allowed without a gesture, and a fake audio output, so that a machine without a
    /// sound card still plays (and the media clock still runs).
    /// </summary>
    public static OpenPage Open(string url)
    {
        var profile = Directory.CreateTempSubdirectory("davecast-chromium-");
        var process = new ChildProcess("chromium", ExternalTools.Require("chromium"),
            Flags(profile, ["--autoplay-policy=no-user-gesture-required", "--disable-audio-output", "--window-size=800,600", url]));
        return new OpenPage(process, profile);
    }

    /// <summary>A page left open by <see cref="Open"/>: disposing closes Chromium. Its output is kept for failure messages.</summary>
    public sealed class OpenPage(ChildProcess process, DirectoryInfo profile) : IDisposable
    {
        public bool HasExited => process.HasExited;

        public string Output => process.Output;

        public void Dispose()
        {
            process.Dispose();
            DeleteProfile(profile);
        }
    }

    private static IEnumerable<string> Flags(DirectoryInfo profile, IEnumerable<string> flags) =>
        CommonFlags.Append($"--user-data-dir={profile.FullName}").Concat(flags);

    private static Process Start(DirectoryInfo profile, IEnumerable<string> flags)
    {
        var psi = new ProcessStartInfo(ExternalTools.Require("chromium"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in Flags(profile, flags)) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static void DeleteProfile(DirectoryInfo profile)
    {
        try { profile.Delete(recursive: true); } catch (IOException) { /* chromium's helpers may still hold it */ }
    }
}
