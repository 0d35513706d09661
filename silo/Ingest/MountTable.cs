using System.Collections.Concurrent;
using System.Text;
using Davecast.Grains;
using Davecast.Wire;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Ingest;

/// <summary>
/// The relay's index of mounts and of their encoder sessions, looked up by the packet's name bytes without
/// allocating. What it finds is written by the <see cref="PacketAcceptor"/>, served by the
/// <see cref="Window.RelayWindow"/> and drained by the <see cref="BatchCollector"/>, each under the mount's lock.
/// </summary>
public sealed class MountTable(IOptions<RelayOptions> options)
{
    private readonly ConcurrentDictionary<string, MountState> _mounts = new(StringComparer.Ordinal);
    private readonly RelayOptions _options = options.Value;

    internal IEnumerable<MountState> Mounts => _mounts.Values;

    public int MountCount => _mounts.Count;

    internal bool TryGet(string mount, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MountState? state) =>
        _mounts.TryGetValue(mount, out state);

    /// <summary>The mount named by a packet if the relay holds it; never adds one.</summary>
    internal MountState? Find(ReadOnlySpan<byte> mountBytes)
    {
        Span<char> chars = stackalloc char[Protocol.MaxMountLength];
        return Lookup(mountBytes, chars, out _);
    }

    /// <summary>The mount named by a packet, added if new; null when the name is invalid or the relay holds as many mounts as it may.</summary>
    internal MountState? GetOrAdd(ReadOnlySpan<byte> mountBytes)
    {
        Span<char> chars = stackalloc char[Protocol.MaxMountLength];
        if (Lookup(mountBytes, chars, out int n) is { } state) return state;
        if (n < 0 || _mounts.Count >= _options.MaxMounts) return null;
        string name;
        try
        {
            name = MountName.Normalize(new string(chars[..n]));
        }
        catch (ArgumentException)
        {
            return null;
        }
        return _mounts.GetOrAdd(name, m => new MountState(m));
    }

    // Decodes the name into chars (n < 0 when it is no UTF-8) and looks it up.
    private MountState? Lookup(ReadOnlySpan<byte> mountBytes, Span<char> chars, out int n)
    {
        try
        {
            n = Encoding.UTF8.GetChars(mountBytes, chars);
        }
        catch (ArgumentException)
        {
            n = -1;
            return null;
        }
        return _mounts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..n], out var state) ? state : null;
    }

    /// <summary>The encoder of this name if the mount has it (call under the mount's lock); never adds one.</summary>
    internal static EncoderState? FindEncoder(MountState mount, ReadOnlySpan<byte> encoderBytes)
    {
        Span<char> chars = stackalloc char[Protocol.MaxEncoderLength];
        return LookupEncoder(mount, encoderBytes, chars, out _);
    }

    // Decodes the encoder's name into chars (n < 0 when it is no UTF-8) and looks it up in the mount.
    private static EncoderState? LookupEncoder(MountState mount, ReadOnlySpan<byte> encoderBytes, Span<char> chars, out int n)
    {
        try
        {
            n = Encoding.UTF8.GetChars(encoderBytes, chars);
        }
        catch (ArgumentException)
        {
            n = -1;
            return null;
        }
        return mount.Encoders.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars[..n], out var e) ? e : null;
    }

    /// <summary>
    /// The encoder session a packet belongs to (call under the mount's lock): a newer session replaces the old one;
    /// null for an older session (stale or replayed) or a new encoder beyond the mount's limit.
    /// </summary>
    internal EncoderState? GetEncoder(MountState mount, ReadOnlySpan<byte> encoderBytes, ulong session)
    {
        Span<char> chars = stackalloc char[Protocol.MaxEncoderLength];
        var encoder = LookupEncoder(mount, encoderBytes, chars, out int n);
        if (n < 0) return null;
        if (encoder is not null)
        {
            if (session == encoder.Session) return encoder;
            if (session < encoder.Session) return null; // an old run of this encoder: stale or replayed
        }
        if (mount.Encoders.Count >= _options.MaxEncodersPerMount && encoder is null) return null;
        var name = new string(chars[..n]);
        var fresh = new EncoderState(name, session, _options.RingCapacity);
        mount.Encoders[name] = fresh;
        return fresh;
    }
}
