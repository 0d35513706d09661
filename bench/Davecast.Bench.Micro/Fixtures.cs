using Davecast.Frames;

namespace Davecast.Bench.Micro;

/// <summary>The committed fixtures, split into frames once.</summary>
public static class Fixtures
{
    /// <summary>Frames each benchmark operation handles: the unit of "Op/s" and "Allocated" is one frame.</summary>
    public const int FramesPerOperation = 256;

    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Davecast.Orleans.sln"))) return dir.FullName;
        throw new InvalidOperationException("Davecast.Orleans.sln not found above " + AppContext.BaseDirectory);
    });

    public static string FixturePath(string codec) => System.IO.Path.Combine(Root.Value, "fixtures", $"programme.{codec}");

    public static byte[] Bytes(string codec) => File.ReadAllBytes(FixturePath(codec));

    public static IReadOnlyList<ParsedFrame> FramesOf(string codec) => FrameFile.ReadAll(FixturePath(codec));
}
