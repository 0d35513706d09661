using System.Buffers;
using System.Text;
using Davecast.Http;

namespace Davecast.Tests.Http;

/// <summary>The one request-head parser of the edge and the publisher's source port.</summary>
public sealed class RequestHeadParserTests
{
    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    public void A_head_is_found_and_parsed_with_either_line_ending_and_the_body_is_left(string newline)
    {
        var text = $"SOURCE /live%20one.mp3?x=1 ICE/1.0{newline}ice-password: pw{newline}Content-Type:audio/mpeg{newline}ice-name:  Caf\u00e9 {newline}{newline}body";
        var bytes = Encoding.UTF8.GetBytes(text);
        int bodyAt = Encoding.UTF8.GetByteCount(text[..text.IndexOf("body", StringComparison.Ordinal)]);

        Assert.Equal(HeadStatus.Complete, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(bytes), out var head, out long length, out _));
        Assert.Equal(bodyAt, length);
        Assert.Equal(("SOURCE", "/live one.mp3", "x=1", "ICE/1.0", false), (head!.Method, head.Path, head.Query, head.Version, head.IsHttp1));
        Assert.Equal("audio/mpeg", head.Header("content-type"));
        Assert.Equal("Caf\u00e9", head.Header("ICE-NAME"));
        Assert.Null(head.Header("Authorization"));
        Assert.Equal(HeadStatus.Incomplete, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(bytes, 0, bodyAt - 1), out _, out _, out _));
    }

    [Fact]
    public void A_head_split_over_segments_reads_as_one_and_latin1_values_are_kept()
    {
        var bytes = Encoding.Latin1.GetBytes("GET /live HTTP/1.1\r\nIcy-MetaData: 1\r\nice-name: Caf\u00e9\r\n\r\n");
        var sequence = Segments.Split(bytes, 3);
        Assert.Equal(HeadStatus.Complete, RequestHeadParser.TryRead(sequence, out var head, out long length, out _));
        Assert.Equal(bytes.Length, length);
        Assert.True(head!.IsHttp1);
        Assert.Equal("1", head.Header("icy-metadata"));
        Assert.Equal("Caf\u00e9", head.Header("ice-name"));
        Assert.Equal("", head.Query);
    }

    [Theory]
    [InlineData("hello\r\n\r\n")]
    [InlineData("GET nopath HTTP/1.0\r\n\r\n")]
    [InlineData("GET / HTTP/2\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\nno colon\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\nBad Name: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\n folded: x\r\n\r\n")]
    public void A_whole_head_that_is_not_a_request_is_malformed_with_a_reason(string text)
    {
        var status = RequestHeadParser.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), out var head, out _, out var error);
        Assert.Equal(HeadStatus.Malformed, status);
        Assert.Null(head);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Empty_lines_before_the_request_line_are_skipped()
    {
        var bytes = "\r\n\r\nGET /x HTTP/1.0\r\n\r\n"u8.ToArray();
        Assert.Equal(HeadStatus.Complete, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(bytes), out var head, out long length, out _));
        Assert.Equal(("GET", "/x"), (head!.Method, head.Path));
        Assert.Equal(bytes.Length, length);
    }

    [Fact]
    public void A_head_larger_than_the_limit_is_too_large_whether_or_not_its_end_has_come()
    {
        var big = Encoding.ASCII.GetBytes($"PUT /live HTTP/1.1\r\nX-Junk: {new string('x', 200)}\r\n\r\n");
        Assert.Equal(HeadStatus.TooLarge, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(big), out _, out _, out var error, maxBytes: 100));
        Assert.Contains("100 bytes", error);
        Assert.Equal(HeadStatus.TooLarge, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(big, 0, 150), out _, out _, out _, maxBytes: 100));
        Assert.Equal(HeadStatus.Incomplete, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(big, 0, 99), out _, out _, out _, maxBytes: 100));
        Assert.Equal(HeadStatus.Complete, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(big), out _, out long length, out _, maxBytes: big.Length));
        Assert.Equal(big.Length, length);
    }
}

/// <summary>A byte array as a sequence of many segments, as a pipe may hand it over.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(byte[] bytes, int size)
    {
        var first = new Segments(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
        var last = first;
        for (int at = size; at < bytes.Length; at += size)
        {
            var next = new Segments(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), at);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
