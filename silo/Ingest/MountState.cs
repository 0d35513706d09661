namespace Davecast.Silo.Ingest;

/// <summary>Everything this relay holds of one mount. Guarded by its own lock.</summary>
/// <param name="key">The id of the publisher key whose packet added the mount: the key it counts against.</param>
internal sealed class MountState(string mount, string key)
{
    public string Mount { get; } = mount;
    public string Key { get; } = key;
    /// <summary>Taken out of the table (idle); a packet that finds it so looks the mount up again.</summary>
    public bool Forgotten { get; set; }
    public Lock Gate { get; } = new();
    public Dictionary<string, EncoderState> Encoders { get; } = new(StringComparer.Ordinal);
    public long BatchNumber { get; set; }
    public DateTimeOffset LastPacketAt { get; set; }
}
