using System.Text;
using System.Text.Unicode;

namespace Davecast.Wire;

/// <summary>
/// The Refused packet (type 5), relay to publisher: the mount refuses the encoder, and why. It answers a packet
/// of the encoder: same mount, encoder id, key id, path id and session, signed with that publisher's key so that
/// nobody else can make a publisher believe it is refused.
/// </summary>
public static class Refusal
{
    /// <summary>Longest reason sent; a longer one is cut at a character boundary.</summary>
    public const int MaxReasonBytes = 1024;

    /// <summary>Bytes a buffer needs for a Refused packet answering <paramref name="about"/>.</summary>
    public static int MaxSize(in PacketView about) =>
        PacketCodec.Size(about.Mount.Length, about.Encoder.Length, about.KeyId.Length, MaxReasonBytes);

    /// <summary>Writes a signed Refused packet answering <paramref name="about"/>; returns its length.</summary>
    /// <param name="counter">The relay's count of Refused packets sent (the sequence field).</param>
    /// <param name="timestampMicros">When the relay sent it, microseconds since the Unix epoch.</param>
    public static int Write(Span<byte> destination, in PacketView about, ulong counter, long timestampMicros, string reason, PacketKey key)
    {
        Span<byte> payload = stackalloc byte[MaxReasonBytes];
        // Stops at the last whole character that fits.
        Utf8.FromUtf16(reason, payload, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
        var fields = new PacketFields(PacketType.Refused, about.PathId, about.Session, counter, timestampMicros);
        return PacketCodec.Write(destination, fields, about.Mount, about.Encoder, about.KeyId, payload[..written], key);
    }

    /// <summary>
    /// Checks that <paramref name="packet"/> is a Refused packet for this encoder session (mount, encoder id,
    /// key id and session all match) with a valid tag, and gives its reason.
    /// </summary>
    public static bool TryRead(
        ReadOnlySpan<byte> packet,
        ReadOnlySpan<byte> mount,
        ReadOnlySpan<byte> encoder,
        ReadOnlySpan<byte> keyId,
        ulong session,
        PacketKey key,
        out string reason)
    {
        reason = "";
        if (PacketCodec.TryParse(packet, out var view) != RejectReason.None || view.Type != PacketType.Refused) return false;
        if (view.Session != session || !view.Mount.SequenceEqual(mount) || !view.Encoder.SequenceEqual(encoder)
            || !view.KeyId.SequenceEqual(keyId) || view.Payload.Length > MaxReasonBytes)
            return false;
        if (!key.Verify(view)) return false;
        reason = Printable(Encoding.UTF8.GetString(view.Payload));
        return true;
    }

    // A reason goes into log lines: no control characters.
    private static string Printable(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c)) : text;
}
