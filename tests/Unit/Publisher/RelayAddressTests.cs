using Davecast.Publisher;

namespace Davecast.Tests.Publisher;

public sealed class RelayAddressTests
{
    [Theory]
    [InlineData("relay-a:9001", "relay-a", 9001)]
    [InlineData("127.0.0.1:1", "127.0.0.1", 1)]
    [InlineData("[::1]:65535", "::1", 65535)]
    [InlineData(" host.example:9002 ", "host.example", 9002)]
    public void Parses_host_and_port(string text, string host, int port)
    {
        Assert.True(RelayAddress.TryParse(text, out var address, out _));
        Assert.Equal(new RelayAddress(host, port), address);
    }

    [Theory]
    [InlineData("relay-a")]
    [InlineData("relay-a:")]
    [InlineData(":9001")]
    [InlineData("relay-a:0")]
    [InlineData("relay-a:65536")]
    [InlineData("relay-a:90x")]
    [InlineData("::1:9001")]
    [InlineData("[::1]9001")]
    public void Refuses_anything_else(string text)
    {
        Assert.False(RelayAddress.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Prints_ipv6_in_brackets() => Assert.Equal("[::1]:9001", new RelayAddress("::1", 9001).ToString());
}
