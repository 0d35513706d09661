namespace Davecast.Edge.Outputs;

/// <summary>
/// One way a mount's programme leaves this edge (the Icecast listener stream; HLS, Ogg...). A mount has a list of
/// outputs; each is given every frame the splicer emits, in programme order, then told that the run is done, so
/// that it can batch its own work (a write to its clients, a segment). Both are called under the mount's lock, on
/// the hot path: no I/O that can block, and nothing allocated per frame.
/// </summary>
public interface IMountOutput
{
    /// <summary>The next frame of the programme.</summary>
    void Write(in ProgrammeFrame frame);

    /// <summary>
    /// The end of one pump's run of <see cref="Write"/> calls: <paramref name="frames"/> were written in it (0 too,
    /// at every tick of the edge's pump, so that work held back can go out on time); <paramref name="now"/> is the
    /// pump's <see cref="System.Diagnostics.Stopwatch"/> timestamp.
    /// </summary>
    void Flush(int frames, long now);
}
