using System.Diagnostics;

namespace Davecast.Tests.Support;

/// <summary>Decodes audio with the real ffmpeg and returns what it complained about.</summary>
public static class Decoder
{
    /// <summary>Runs <c>ffmpeg -v error -i file -f null -</c>; returns its exit code and error output.</summary>
    public static async Task<(int ExitCode, string Errors)> DecodeAsync(byte[] audio, string extension)
    {
        var ffmpeg = ExternalTools.Require("ffmpeg");
        var path = Path.Combine(Path.GetTempPath(), $"davecast-{Guid.NewGuid():N}.{extension}");
        await File.WriteAllBytesAsync(path, audio);
        try
        {
            var psi = new ProcessStartInfo(ffmpeg) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-nostdin", "-v", "error", "-i", path, "-f", "null", "-" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var errors = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return (p.ExitCode, errors.Trim());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Drops a trailing partial frame, which a recording cut at an arbitrary byte has.</summary>
    public static byte[] WholeFrames(byte[] audio)
    {
        var splitter = new Davecast.Frames.FrameSplitter();
        var buffer = new System.Buffers.ReadOnlySequence<byte>(audio);
        long end = 0;
        while (splitter.TryReadFrame(ref buffer, false, out _, out _)) end = audio.Length - buffer.Length;
        return audio[..(int)end];
    }
}
