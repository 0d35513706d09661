using Davecast.Http;
using Microsoft.AspNetCore.Http;

namespace Davecast.Tests.Http;

/// <summary>The CORS headers both the mounts and the edge's other endpoints send.</summary>
public sealed class CorsPolicyTests
{
    [Fact]
    public void Any_origin_may_get_streams_and_ask_for_icy_metadata()
    {
        IHeaderDictionary headers = new HeaderDictionary();
        CorsPolicy.Apply(headers);
        Assert.Equal("*", headers.AccessControlAllowOrigin);
        Assert.Contains("Icy-MetaData", headers.AccessControlAllowHeaders.ToString());
        Assert.Equal(["GET", "OPTIONS", "HEAD"], headers.AccessControlAllowMethods.ToString().Split(", "));
        var exposed = headers.AccessControlExposeHeaders.ToString().Split(", ");
        foreach (var name in new[] { "icy-metaint", "icy-br", "icy-name", "icy-genre", "icy-url", "icy-description", "icy-pub", "content-type" })
            Assert.Contains(name, exposed);
        Assert.Equal(CorsPolicy.Headers.Select(h => h.Key).Order(), headers.Keys.Order());
    }
}
