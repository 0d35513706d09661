namespace Davecast.Fuzz;

/// <summary>
/// One parser under fuzzing: <see cref="Run"/> feeds it an input and throws only when the parser throws or breaks one
/// of its promises (bounded work, every byte accounted for, the same answer however the input is cut).
/// </summary>
/// <param name="Name">What <c>bench/fuzz.sh</c> is given.</param>
/// <param name="Covers">The code it exercises, for <c>bench/fuzz.sh list</c>.</param>
/// <param name="Run">One execution.</param>
/// <param name="Seeds">Generated seed inputs (name, bytes), beside the committed ones in <c>Seeds/NAME</c>.</param>
public sealed record FuzzTarget(string Name, string Covers, FuzzAction Run, Func<IEnumerable<(string Name, byte[] Data)>> Seeds);

/// <summary>One execution of a target.</summary>
public delegate void FuzzAction(ReadOnlySpan<byte> input);

/// <summary>Every target, by name.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("frames", "core/Frames: FrameSplitter over ADTS and MPEG audio, whole and in chunks", FrameSplitterTarget.Run, FrameSplitterTarget.Seeds),
        new("packet", "core/Wire: PacketCodec.TryParse and every payload (audio frames, Announce, Metadata, Heartbeat, Refused)", PacketTarget.Run, PacketTarget.Seeds),
        new("stream", "core/Wire: StreamFraming over a TCP ingest byte stream, each packet parsed and decoded", StreamTarget.Run, StreamTarget.Seeds),
        new("icy", "core/Icy: IcyDemuxer and the StreamTitle reader", IcyTarget.Run, IcyTarget.Seeds),
        new("http-edge", "core/Http: RequestHeadParser as the edge's listener port uses it (mount, Icy-MetaData, login)", HttpHeadTarget.RunEdge, HttpHeadTarget.EdgeSeeds),
        new("http-source", "core/Http: RequestHeadParser as the publisher's source port uses it (credentials, mount, types, station, updinfo)", HttpHeadTarget.RunSource, HttpHeadTarget.SourceSeeds),
        new("settings", "core/Cli: LayeredSettings over a settings file, environment variables and a command line", SettingsTarget.Run, SettingsTarget.Seeds),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}

/// <summary>A broken promise of the parser under test: the fuzzer records it as a crash.</summary>
public sealed class FuzzFinding(string message) : Exception(message)
{
    public static void Unless(bool condition, string message)
    {
        if (!condition) throw new FuzzFinding(message);
    }
}
