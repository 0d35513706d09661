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
/// What it holds is capped: mounts in all, mounts per publisher key (charged to the key whose packet added the
/// mount), encoders per mount. A packet beyond a cap is refused before anything is kept of it, and a mount without
/// encoders is forgotten once silent for <see cref="RelayOptions.EncoderExpiry"/>, so the caps count what is in use.
/// </summary>
public sealed class MountTable(IOptions<RelayOptions> options)
{
    private readonly ConcurrentDictionary<string, MountState> _mounts = new(StringComparer.Ordinal);
    private readonly RelayOptions _options = options.Value;
    // Mounts added by each key; changed with _mounts' adds and removals, under _changing.
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private readonly Lock _changing = new();

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

    /// <summary>
    /// The mount named by a verified packet of key <paramref name="keyId"/>, added if new; null when the name is
    /// invalid (<see cref="RejectReason.BadField"/>) or a new mount is beyond a cap (its reason).
    /// </summary>
    internal MountState? GetOrAdd(ReadOnlySpan<byte> mountBytes, ReadOnlySpan<byte> keyId, out RejectReason reason)
    {
        reason = RejectReason.None;
        Span<char> chars = stackalloc char[Protocol.MaxMountLength];
        if (Lookup(mountBytes, chars, out int n) is { } state) return state;
        reason = RejectReason.BadField;
        if (n < 0) return null;
        string name;
        try
        {
            name = MountName.Normalize(new string(chars[..n]));
        }
        catch (ArgumentException)
        {
            return null;
        }
        var key = Encoding.UTF8.GetString(keyId);
        lock (_changing)
        {
            if (_mounts.TryGetValue(name, out state))
            {
                reason = RejectReason.None;
                return state;
            }
            if (_mounts.Count >= _options.MaxMounts)
            {
                reason = RejectReason.RelayMountLimit;
                return null;
            }
            _perKey.TryGetValue(key, out int held);
            if (held >= _options.MaxMountsPerKey)
            {
                reason = RejectReason.KeyMountLimit;
                return null;
            }
            _perKey[key] = held + 1;
            state = new MountState(name, key);
            _mounts[name] = state;
        }
        reason = RejectReason.None;
        return state;
    }

    /// <summary>Mounts that packets of this key added and the relay still holds.</summary>
    public int MountsOfKey(string keyId)
    {
        lock (_changing) return _perKey.GetValueOrDefault(keyId);
    }

    /// <summary>
    /// Forgets the mount if it has no encoder and heard no packet since <paramref name="silentSince"/>; it no longer
    /// counts against its key's or the relay's cap. A packet that finds it forgotten adds it anew.
    /// </summary>
    internal bool ForgetIfIdle(MountState mount, DateTimeOffset silentSince)
    {
        lock (_changing)
        {
            lock (mount.Gate)
            {
                if (mount.Forgotten || mount.Encoders.Count > 0 || mount.LastPacketAt > silentSince) return false;
                mount.Forgotten = true;
            }
            _mounts.TryRemove(mount.Mount, out _);
            if (_perKey.TryGetValue(mount.Key, out int held))
            {
                if (held <= 1) _perKey.Remove(mount.Key);
                else _perKey[mount.Key] = held - 1;
            }
            return true;
        }
    }

    /// <summary>Why a packet beyond a cap is refused, worded for the publisher's log (it names the relay option).</summary>
    internal string Refusal(RejectReason reason, string keyId, string mount) => reason switch
    {
        RejectReason.KeyMountLimit => $"key '{keyId}' already feeds {_options.MaxMountsPerKey} mounts on relay {_options.Name} (its --max-mounts-per-key); a new mount is refused until one of them stops",
        RejectReason.RelayMountLimit => $"relay {_options.Name} already holds {_options.MaxMounts} mounts (its --max-mounts); a new mount is refused until one stops",
        RejectReason.EncoderLimit => $"mount /{mount} already has {_options.MaxEncodersPerMount} encoders on relay {_options.Name} (its --max-encoders-per-mount); a new encoder is refused until one has been silent for {_options.EncoderExpiry.TotalSeconds:0} s",
        _ => reason.ToString(),
    };

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
    /// null for an older session (stale or replayed: <see cref="RejectReason.Replay"/>) or a new encoder beyond the
    /// mount's cap (<see cref="RejectReason.EncoderLimit"/>).
    /// </summary>
    internal EncoderState? GetEncoder(MountState mount, ReadOnlySpan<byte> encoderBytes, ulong session, out RejectReason reason)
    {
        reason = RejectReason.Replay;
        Span<char> chars = stackalloc char[Protocol.MaxEncoderLength];
        var encoder = LookupEncoder(mount, encoderBytes, chars, out int n);
        if (n < 0) return null;
        if (encoder is not null)
        {
            if (session < encoder.Session) return null; // an old run of this encoder: stale or replayed
            reason = RejectReason.None;
            if (session == encoder.Session) return encoder;
        }
        else if (mount.Encoders.Count >= _options.MaxEncodersPerMount)
        {
            reason = RejectReason.EncoderLimit;
            return null;
        }
        reason = RejectReason.None;
        var name = new string(chars[..n]);
        var fresh = new EncoderState(name, session, _options.RingCapacity);
        mount.Encoders[name] = fresh;
        return fresh;
    }
}
