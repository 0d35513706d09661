using System.Buffers;
using System.Text;
using Davecast.Http;
using Davecast.Security;

namespace Davecast.Tests.Http;

/// <summary>Logins on requests: HTTP basic, and ICE/1.0's ice-password.</summary>
public sealed class BasicCredentialsTests
{
    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static RequestHead Head(string text)
    {
        Assert.Equal(HeadStatus.Complete, RequestHeadParser.TryRead(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)), out var head, out _, out var error));
        return head!;
    }

    [Fact]
    public void A_listeners_login_is_read_with_a_colon_kept_in_the_password()
    {
        Assert.True(BasicCredentials.TryRead(Basic("ann", "p:w\u00e9"), out var user, out var password));
        Assert.Equal(("ann", "p:w\u00e9"), (user, password));
        Assert.False(BasicCredentials.TryRead("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("no-colon")), out _, out _));
        Assert.False(BasicCredentials.TryRead("Basic !!", out _, out _));
        Assert.False(BasicCredentials.TryRead("Bearer x", out _, out _));
        Assert.False(BasicCredentials.TryRead(null, out _, out _));
    }

    [Fact]
    public void Basic_authentication_matches_the_user_and_the_whole_password()
    {
        var request = Head($"GET /admin/metadata HTTP/1.0\r\nAuthorization: {Basic("admin", "p:w\u00e9")}\r\n\r\n");
        Assert.True(BasicCredentials.Match(request, "admin", "p:w\u00e9"));
        Assert.False(BasicCredentials.Match(request, "source", "p:w\u00e9"));
        Assert.False(BasicCredentials.Match(request, "admin", "p:w"));
        Assert.False(BasicCredentials.Match(Head("GET / HTTP/1.0\r\nAuthorization: Basic !!\r\n\r\n"), "admin", "p:w"));
        Assert.False(BasicCredentials.Match(Head("GET / HTTP/1.0\r\n\r\n"), "admin", "p:w"));
    }

    [Fact]
    public void An_ice_password_logs_in_as_the_user_only_with_ice_1_0()
    {
        Assert.True(BasicCredentials.Match(Head("SOURCE /live ICE/1.0\nice-password: pw\n\n"), "source", "pw"));
        Assert.False(BasicCredentials.Match(Head("SOURCE /live ICE/1.0\nice-password: other\n\n"), "source", "pw"));
        Assert.False(BasicCredentials.Match(Head("SOURCE /live HTTP/1.0\r\nice-password: pw\r\n\r\n"), "source", "pw"));
    }
}
