using System.Buffers;
using System.Text;
using CsCheck;
using Davecast.Http;

namespace Davecast.Tests.Fuzz;

/// <summary>Request heads of random headers, line endings and bodies, cut at random points: complete exactly when whole, every header back.</summary>
public sealed class RequestHeadProperties
{
    private static readonly int Iterations = PropertyRuns.Inputs;

    private static readonly Gen<string> Token = Gen.String[Gen.Char.AlphaNumeric, 1, 16];

    [Fact]
    public void A_head_is_complete_exactly_when_whole_and_gives_back_every_header() =>
        Bounded.Run(() => Gen.Select(Gen.OneOf("GET", "PUT", "SOURCE"), Token, Gen.Select(Token, Gen.String[Gen.Char.AlphaNumeric, 0, 40]).Array[0, 10],
                Gen.Bool, Gen.Byte.Array[0, 64], Gen.Int[0, 999])
            .Sample((method, path, headers, lfOnly, body, cutAt) =>
            {
                string eol = lfOnly ? "\n" : "\r\n";
                var text = new StringBuilder($"{method} /{path} {(method == "SOURCE" ? "ICE/1.0" : "HTTP/1.1")}{eol}");
                foreach (var (name, value) in headers) text.Append($"{name}: {value}{eol}");
                text.Append(eol);
                var head = Encoding.UTF8.GetBytes(text.ToString());
                byte[] bytes = [.. head, .. body];
                // Cut short anywhere before its end, the head is incomplete; with any part of the body, complete.
                int cut = cutAt * head.Length / 1000;
                Assert.Equal(HeadStatus.Incomplete, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(bytes, 0, cut), out _, out _, out _));
                int received = head.Length + cutAt * body.Length / 1000;
                Assert.Equal(HeadStatus.Complete, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(bytes, 0, received), out var parsed, out long length, out _));
                Assert.Equal(head.Length, length);
                Assert.Equal(method, parsed!.Method);
                Assert.Equal("/" + path, parsed.Path);
                // SequenceEqual, not Assert.Equal on collections: the same check, cheap at 10^5 inputs.
                var sent = headers.Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2));
                if (!parsed.Headers.SequenceEqual(sent)) Assert.Fail($"headers {string.Join(", ", parsed.Headers)}, expected {string.Join(", ", sent)}");
            }, iter: Iterations), "the request head property");
}
