using System.Text;
using Davecast.Wire;

namespace Davecast.Silo.Ingest;

/// <summary>Publisher keys by key id. Looked up by the packet's key-id bytes without allocating.</summary>
public sealed class KeyRing
{
    private readonly (byte[] Id, byte[] Secret)[] _keys;

    public KeyRing(IEnumerable<KeyValuePair<string, string>> keys)
    {
        _keys = keys.Select(k => (Encoding.UTF8.GetBytes(k.Key), Encoding.UTF8.GetBytes(k.Value))).ToArray();
    }

    public static KeyRing Development { get; } = new([new(Protocol.DevelopmentKeyId, Protocol.DevelopmentSecret)]);

    public int Count => _keys.Length;

    public bool TryGet(ReadOnlySpan<byte> keyId, out ReadOnlySpan<byte> secret)
    {
        foreach (var (id, s) in _keys)
        {
            if (keyId.SequenceEqual(id))
            {
                secret = s;
                return true;
            }
        }
        secret = default;
        return false;
    }
}
