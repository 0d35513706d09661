using System.Text;

namespace Davecast.Http;

/// <summary>Text that clients send in either UTF-8 or Latin-1 without saying which (request heads, query values).</summary>
public static class TextBytes
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes as UTF-8 when they are valid UTF-8, else as Latin-1 (as older clients send them).</summary>
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }
}
