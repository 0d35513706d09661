namespace Davecast.Edge.Outputs;

/// <summary>
/// A frame as the mount's outputs get it: its bytes, where it sits in the programme and the title that applies to it.
/// The bytes are the splicer's and valid only during <see cref="IMountOutput.Write"/>: an output that keeps them copies them.
/// </summary>
/// <param name="Encoder">The encoder whose frame this is (a backup's when the splicer substituted or failed over).</param>
/// <param name="Session">That encoder's session.</param>
/// <param name="Sequence">The frame's sequence number in that encoder session.</param>
/// <param name="TimestampMicros">Its media timestamp.</param>
/// <param name="DurationMicros">Its duration.</param>
/// <param name="Title">The stream title that applies to it; null when none is known. One instance per title, shared.</param>
public readonly record struct ProgrammeFrame(
    ReadOnlyMemory<byte> Data, string Encoder, ulong Session, ulong Sequence, long TimestampMicros, long DurationMicros, TitleInfo? Title);
