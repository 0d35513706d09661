using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Davecast.Frames;
using Davecast.Tests.Support;

namespace Davecast.Tests.Frames;

/// <summary>How a test file is tagged.</summary>
public enum TagStyle
{
    None,
    /// <summary>An ID3v2 tag in front (written by ffmpeg's muxer, or by the test for raw MP2).</summary>
    Id3v2,
    /// <summary>ID3v2 in front and a 128-byte ID3v1 trailer (MP3 only).</summary>
    Id3v2AndV1,
}

/// <summary>What ffmpeg is asked to make. Encoder: "aac", "mp3" (libmp3lame) or "mp2".</summary>
public sealed record MediaSpec(string Id, string Encoder, int SampleRate, int Channels, int BitrateKbps, TagStyle Tags = TagStyle.None, bool Xing = false)
{
    public CodecKind Codec => Encoder == "aac" ? CodecKind.Aac : CodecKind.Mpeg;

    public int Layer => Encoder switch { "mp3" => 3, "mp2" => 2, _ => 0 };

    public int MpegVersion => SampleRate switch { >= 32000 => 10, >= 16000 => 20, _ => 25 };

    public int SamplesPerFrame => Encoder switch
    {
        "aac" => 1024,
        "mp3" => MpegVersion == 10 ? 1152 : 576,
        _ => 1152,
    };
}

/// <summary>A generated file and ffprobe's view of it: every packet's position and size.</summary>
public sealed record GeneratedFile(MediaSpec Spec, byte[] Data, IReadOnlyList<(long Pos, int Size)> Packets);

/// <summary>Makes short test files with ffmpeg and reads their frame boundaries with ffprobe.</summary>
public static class GeneratedMedia
{
    public const double DurationSeconds = 2;

    public static readonly IReadOnlyList<MediaSpec> Catalogue =
    [
        new("aac-8000-mono-16k", "aac", 8000, 1, 16),
        new("aac-11025-mono-24k", "aac", 11025, 1, 24),
        new("aac-22050-stereo-32k", "aac", 22050, 2, 32),
        new("aac-44100-mono-64k", "aac", 44100, 1, 64),
        new("aac-44100-stereo-96k", "aac", 44100, 2, 96),
        new("aac-48000-stereo-128k", "aac", 48000, 2, 128),
        new("aac-44100-stereo-48k-id3", "aac", 44100, 2, 48, TagStyle.Id3v2),
        new("mp3-32000-stereo-64k", "mp3", 32000, 2, 64),
        new("mp3-44100-stereo-128k", "mp3", 44100, 2, 128),
        new("mp3-48000-mono-96k", "mp3", 48000, 1, 96),
        new("mp3-48000-stereo-320k", "mp3", 48000, 2, 320),
        new("mp3-16000-mono-32k", "mp3", 16000, 1, 32),
        new("mp3-22050-stereo-64k", "mp3", 22050, 2, 64),
        new("mp3-24000-stereo-160k", "mp3", 24000, 2, 160),
        new("mp3-8000-mono-8k", "mp3", 8000, 1, 8),
        new("mp3-11025-stereo-32k", "mp3", 11025, 2, 32),
        new("mp3-12000-mono-64k", "mp3", 12000, 1, 64),
        new("mp3-44100-stereo-128k-id3", "mp3", 44100, 2, 128, TagStyle.Id3v2),
        new("mp3-22050-mono-48k-id3-v1", "mp3", 22050, 1, 48, TagStyle.Id3v2AndV1),
        new("mp2-48000-stereo-192k", "mp2", 48000, 2, 192),
        new("mp2-44100-mono-64k", "mp2", 44100, 1, 64),
        new("mp2-32000-stereo-384k", "mp2", 32000, 2, 384),
        new("mp2-24000-mono-64k", "mp2", 24000, 1, 64),
        new("mp2-16000-stereo-32k", "mp2", 16000, 2, 32),
        new("mp2-22050-mono-160k", "mp2", 22050, 1, 160),
        new("mp2-48000-stereo-256k-id3", "mp2", 48000, 2, 256, TagStyle.Id3v2),
    ];

    /// <summary>MP3 files that keep LAME's Xing/Info frame, which ffprobe does not list as a packet.</summary>
    public static readonly IReadOnlyList<MediaSpec> XingCatalogue =
    [
        new("mp3-44100-stereo-128k-xing", "mp3", 44100, 2, 128, Xing: true),
        new("mp3-22050-mono-32k-xing-id3", "mp3", 22050, 1, 32, TagStyle.Id3v2, Xing: true),
    ];

    private static readonly ConcurrentDictionary<string, Lazy<GeneratedFile>> Cache = new(StringComparer.Ordinal);

    public static IEnumerable<object[]> AllIds() => Catalogue.Select(s => new object[] { s.Id });

    public static MediaSpec Spec(string id) =>
        Catalogue.Concat(XingCatalogue).Single(s => s.Id == id);

    /// <summary>The file for <paramref name="id"/>, made once per test run.</summary>
    public static GeneratedFile Get(string id) =>
        Cache.GetOrAdd(id, key => new Lazy<GeneratedFile>(() => Make(Spec(key)), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private static GeneratedFile Make(MediaSpec spec)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"davecast-frames-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, spec.Id + "." + spec.Encoder);
            Encode(spec, file);
            if (spec.Encoder == "mp2" && spec.Tags != TagStyle.None)
            {
                // The raw MP2 muxer writes no tags: put one in front ourselves; ffprobe still finds the frames.
                File.WriteAllBytes(file, [.. Id3v2Tag("Davecast test " + spec.Id), .. File.ReadAllBytes(file)]);
            }

            return new GeneratedFile(spec, File.ReadAllBytes(file), Probe(file));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Encode(MediaSpec spec, string output)
    {
        var args = new List<string>
        {
            "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", $"aevalsrc=exprs={AudioExpression(spec.Channels)}:sample_rate={spec.SampleRate}:duration={DurationSeconds}",
            "-threads", "1", "-b:a", $"{spec.BitrateKbps}k",
        };
        bool id3v2 = spec.Tags != TagStyle.None;
        switch (spec.Encoder)
        {
            case "aac":
                args.AddRange(["-c:a", "aac", "-f", "adts", "-write_id3v2", id3v2 ? "1" : "0"]);
                break;
            case "mp3":
                args.AddRange(["-c:a", "libmp3lame", "-abr", "0", "-f", "mp3",
                    "-write_xing", spec.Xing ? "1" : "0",
                    "-id3v2_version", id3v2 ? "3" : "0",
                    "-write_id3v1", spec.Tags == TagStyle.Id3v2AndV1 ? "1" : "0"]);
                break;
            case "mp2":
                args.AddRange(["-c:a", "mp2", "-f", "mp2"]);
                break;
            default:
                throw new ArgumentException($"Unknown encoder {spec.Encoder}.", nameof(spec));
        }

        if (id3v2)
        {
            args.AddRange(["-metadata", $"title=Davecast test {spec.Id}", "-metadata", "artist=Davecast"]);
        }

        args.Add(output);
        Run("ffmpeg", args);
    }

    // A sweep per channel plus a little seeded noise: no two frames alike.
    private static string AudioExpression(int channels)
    {
        const string left = "0.4*sin(2*PI*(300*t+400*t*t))+0.05*(2*random(0)-1)";
        const string right = "0.4*sin(2*PI*(2500*t-500*t*t))+0.05*(random(0)+random(0)-1)";
        return channels == 1 ? left : $"{left}|{right}";
    }

    /// <summary>ffprobe's packets: for raw ADTS and MPEG audio each one is a whole frame, header included.</summary>
    public static IReadOnlyList<(long Pos, int Size)> Probe(string file)
    {
        string csv = Run("ffprobe", ["-v", "error", "-show_packets", "-show_entries", "packet=pos,size", "-of", "compact=p=0", file]);
        var packets = new List<(long, int)>();
        foreach (string line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            long pos = -1;
            int size = -1;
            foreach (string field in line.Split('|'))
            {
                string[] kv = field.Split('=', 2);
                if (kv[0] == "pos")
                {
                    pos = long.Parse(kv[1]);
                }
                else if (kv[0] == "size")
                {
                    size = int.Parse(kv[1]);
                }
            }

            Assert.True(pos >= 0 && size > 0, $"unexpected ffprobe line: {line}");
            packets.Add((pos, size));
        }

        return packets;
    }

    /// <summary>An ID3v2.4 tag with one TIT2 frame, written by hand.</summary>
    public static byte[] Id3v2Tag(string title, bool footer = false, int padding = 0)
    {
        byte[] text = [3, .. Encoding.UTF8.GetBytes(title)];
        var body = new List<byte>();
        body.AddRange("TIT2"u8.ToArray());
        body.AddRange(SyncSafe(text.Length));
        body.AddRange([0, 0]);
        body.AddRange(text);
        body.AddRange(new byte[padding]);
        byte[] size = SyncSafe(body.Count);
        byte[] header = [(byte)'I', (byte)'D', (byte)'3', 4, 0, (byte)(footer ? 0x10 : 0), .. size];
        byte[] tail = footer ? [(byte)'3', (byte)'D', (byte)'I', 4, 0, 0x10, .. size] : [];
        return [.. header, .. body, .. tail];
    }

    private static byte[] SyncSafe(int value) =>
        [(byte)((value >> 21) & 0x7F), (byte)((value >> 14) & 0x7F), (byte)((value >> 7) & 0x7F), (byte)(value & 0x7F)];

    public static string Run(string tool, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(ExternalTools.Require(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish within 60 s: {string.Join(' ', psi.ArgumentList)}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{tool} failed with exit code {process.ExitCode}: {string.Join(' ', psi.ArgumentList)}\n{stderr.Result}");
        }

        return stdout;
    }
}
