using System.Text;
using Davecast.Wire;

namespace Davecast.Silo.Ingest;

/// <summary>Publisher keys by key id. Looked up by the packet's key-id bytes without allocating.</summary>
public sealed class KeyRing
{
    private readonly (byte[] Id, PacketKey Key)[] _keys;

    public KeyRing(IEnumerable<KeyValuePair<string, string>> keys)
    {
        _keys = keys.Select(k => (Encoding.UTF8.GetBytes(k.Key), new PacketKey(Encoding.UTF8.GetBytes(k.Value)))).ToArray();
    }

    public static KeyRing Development { get; } = new([new(Protocol.DevelopmentKeyId, Protocol.DevelopmentSecret)]);

    public int Count => _keys.Length;

    /// <summary>The key with this id, which verifies tags without setting the key up for each packet.</summary>
    public bool TryGet(ReadOnlySpan<byte> keyId, out PacketKey? key)
    {
        foreach (var (id, k) in _keys)
        {
            if (keyId.SequenceEqual(id))
            {
                key = k;
                return true;
            }
        }
        key = null;
        return false;
    }
}
