using System.Buffers;
using System.Text;
using Davecast.Edge.Listeners;
using Davecast.Frames;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Http;
using Davecast.Publisher.Sources;
using Davecast.Security;
using Davecast.Wire;

namespace Davecast.Fuzz;

/// <summary>
/// Input: what a client sends first on the edge's listener port or the publisher's source port. The head is read
/// whole and as it arrives (growing by a read size that byte 0 picks), the two must agree, and then each program's
/// use of the head runs on it.
/// </summary>
public static class HttpHeadTarget
{
    private static readonly CodecParameters Parameters = new(CodecKind.Mpeg, 44100, 2, 128, 3, 10, 1152);

    public static void RunEdge(ReadOnlySpan<byte> input)
    {
        if (Read(input) is not { } head) return;
        // As IcecastConnectionHandler: a listen request, its Icy-MetaData wish and its login.
        _ = head.Method == "GET" && head.IsHttp1 && head.Path.Length > 1;
        _ = ListenerEndpoint.WantsIcyMetadata(head.Header("Icy-MetaData"));
        var login = ListenerLogin.From(head.Target, head.Header("Authorization"));
        FuzzFinding.Unless(login.Target == head.Target, "the login lost its target");
        _ = head.Header("User-Agent");
    }

    public static void RunSource(ReadOnlySpan<byte> input)
    {
        if (Read(input) is not { } head) return;
        // As SourcePortHandler and SourceAdmission: credentials, mount, transfer encoding, type, station headers, updinfo.
        _ = BasicCredentials.Match(head, "source", "hackme");
        BasicCredentials.TryRead(head.Header("Authorization"), out _, out _);
        try
        {
            FuzzFinding.Unless(MountName.Normalize(head.Path).Length > 0, "an empty mount name was accepted");
        }
        catch (ArgumentException)
        {
            // A bad mount name: refused with 400.
        }
        _ = ContentTypes.CodecOf(head.Header("Content-Type"));
        var station = StationInfo.FromHeaders(head.Headers);
        foreach (var (name, value) in station)
            FuzzFinding.Unless(!value.Any(char.IsControl) && Encoding.UTF8.GetByteCount(value) <= StationInfo.MaxValueBytes, $"station header {name} kept a control character or is too long");
        // The station headers travel in the publisher's Announce.
        _ = new Announce(Parameters, 100, station).Encode();
        if (Updinfo.TryParse(head.Query, out var update, out _))
            FuzzFinding.Unless(update!.Mount.Length > 0, "an updinfo without a mount was accepted");
    }

    // The head read at once must equal the head read as it arrives.
    private static RequestHead? Read(ReadOnlySpan<byte> input)
    {
        if (input.Length < 1) return null;
        int readSize = 1 + input[0] * 8;
        var bytes = input[1..].ToArray();
        var whole = RequestHeadParser.TryRead(new ReadOnlySequence<byte>(bytes), out var head, out long length, out var error);
        FuzzFinding.Unless(whole != HeadStatus.Complete || (head is not null && length > 0 && length <= bytes.Length), "a complete head with no head or a bad length");
        FuzzFinding.Unless(whole is not (HeadStatus.TooLarge or HeadStatus.Malformed) || error.Length > 0, $"{whole} without a reason");
        for (int received = Math.Min(readSize, bytes.Length); received < bytes.Length; received = Math.Min(bytes.Length, received + readSize))
        {
            var partial = RequestHeadParser.TryRead(new ReadOnlySequence<byte>(bytes, 0, received), out var early, out long earlyLength, out _);
            if (partial == HeadStatus.Incomplete) continue;
            FuzzFinding.Unless(partial == whole && earlyLength == length && early?.Target == head?.Target, $"read as it arrived the head is {partial}, read whole {whole}");
            break;
        }
        return head;
    }

    public static IEnumerable<(string, byte[])> EdgeSeeds()
    {
        yield return ("listen", [31, .. "GET /live.mp3?token=x HTTP/1.1\r\nHost: edge\r\nIcy-MetaData: 1\r\nUser-Agent: VLC/3.0\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n"u8]);
        yield return ("http10-lf", [0, .. "\nGET /a%20b HTTP/1.0\nAccept: */*\n\n"u8]);
    }

    public static IEnumerable<(string, byte[])> SourceSeeds()
    {
        yield return ("put", [31, .. "PUT /live.mp3 HTTP/1.1\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\nContent-Type: audio/mpeg\r\nice-name: Seed\r\nicy-pub: 1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"u8]);
        yield return ("source-ice", [3, .. "SOURCE /live.aac ICE/1.0\r\nice-password: hackme\r\ncontent-type: audio/aacp\r\nice-genre: Jazz\r\n\r\n"u8]);
        yield return ("updinfo", [7, .. "GET /admin/metadata?mode=updinfo&mount=%2Flive.mp3&song=Caf%E9+Song&charset=latin1 HTTP/1.0\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\n\r\n"u8]);
    }
}
