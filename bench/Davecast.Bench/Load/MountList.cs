using Davecast.Bench.Cli;

namespace Davecast.Bench.Load;

/// <summary>
/// The mounts a load generator publishes, from its options (<c>--mounts</c>, <c>--codecs</c>, <c>--prefix</c>,
/// <c>--aac</c>, <c>--mp3</c>): named <c>PREFIXnnnn.aac</c> / <c>.mp3</c>, taking the codecs in turn, each playing a fixture.
/// </summary>
public static class MountList
{
    public static IReadOnlyList<MountSpec> Read(Args args)
    {
        int mounts = args.Int("--mounts", 250, 0, 20_000);
        var codecs = args.String("--codecs", "aac,mp3").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string prefix = args.String("--prefix", "m");
        string root = Harness.BenchContext.FindRoot(AppContext.BaseDirectory);
        var aac = Programme.Load(args.String("--aac", Path.Combine(root, "fixtures", "programme.aac")));
        var mp3 = Programme.Load(args.String("--mp3", Path.Combine(root, "fixtures", "programme.mp3")));
        return [.. Enumerable.Range(0, mounts).Select(i =>
        {
            var codec = codecs[i % codecs.Length];
            var p = codec == "aac" ? aac : codec == "mp3" ? mp3 : throw new ArgumentException($"--codecs: '{codec}' is not aac or mp3");
            return new MountSpec($"{prefix}{i:D4}.{codec}", p);
        })];
    }
}
