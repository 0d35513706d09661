using System.Diagnostics;

namespace Davecast.Tests.Support;

/// <summary>Loads a page in headless Chromium (Debian's <c>chromium</c>): the DOM after its scripts ran, and a screenshot.</summary>
public static class HeadlessChromium
{
    /// <summary>
    /// Opens <paramref name="url"/> (credentials may be in it: http://user:password@host/), lets its scripts run for
    /// 5 s of virtual time, saves a 1280x800 screenshot to <paramref name="screenshot"/> and returns the DOM.
    /// </summary>
    public static async Task<string> LoadAsync(string url, string screenshot, TimeSpan timeout)
    {
        var chromium = ExternalTools.Require("chromium");
        var profile = Directory.CreateTempSubdirectory("davecast-chromium-");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(screenshot))!);
        var psi = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.FullName}", $"--screenshot={screenshot}",
            "--window-size=1280,800", "--virtual-time-budget=5000", "--dump-dom", url,
        })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
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
            try { profile.Delete(recursive: true); } catch (IOException) { /* chromium's helpers may still hold it */ }
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"chromium exited {process.ExitCode}: {await errors}");
        return await dom;
    }
}
