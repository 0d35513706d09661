namespace Davecast.Silo.Ingest;

/// <summary>Everything this relay holds of one mount. Guarded by its own lock.</summary>
internal sealed class MountState(string mount)
{
    public string Mount { get; } = mount;
    public Lock Gate { get; } = new();
    public Dictionary<string, EncoderState> Encoders { get; } = new(StringComparer.Ordinal);
    public long BatchNumber { get; set; }
    public DateTimeOffset LastPacketAt { get; set; }
}
