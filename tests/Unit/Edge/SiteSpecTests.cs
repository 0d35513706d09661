using Davecast.Edge.Sites;

namespace Davecast.Tests.Edge;

/// <summary><c>--site NAME=redis:CONNECTION</c> and <c>--site NAME=gateways:HOST:PORT[,HOST:PORT...]</c>.</summary>
public class SiteSpecTests
{
    [Theory]
    [InlineData("east=redis:localhost:6379", "east", "localhost:6379")]
    [InlineData("east=redis:10.0.0.1:6379,password=secret", "east", "10.0.0.1:6379,password=secret")]
    [InlineData("eu-west_2.a=redis:r1:6379,r2:6380,password=p=w:rd,ssl=true,abortConnect=false",
        "eu-west_2.a", "r1:6379,r2:6380,password=p=w:rd,ssl=true,abortConnect=false")]
    [InlineData("s=redis:redis", "s", "redis")]
    public void A_redis_site_keeps_the_whole_connection_string(string text, string name, string connection)
    {
        Assert.True(SiteSpec.TryParse(text, out var spec, out var error), error);
        Assert.Null(error);
        Assert.NotNull(spec);
        Assert.Equal(name, spec.Name);
        Assert.Equal(name, spec.ClusterId);
        Assert.Equal(connection, spec.Redis);
        Assert.Empty(spec.Gateways);
    }

    [Fact]
    public void A_gateways_site_lists_its_gateways_in_order_trimmed()
    {
        Assert.True(SiteSpec.TryParse("west=gateways:10.0.0.2:30000, relay-b.example:30001 ,[::1]:30002", out var spec, out var error), error);
        Assert.NotNull(spec);
        Assert.Equal("west", spec.Name);
        Assert.Equal("west", spec.ClusterId);
        Assert.Null(spec.Redis);
        Assert.Equal(new[] { "10.0.0.2:30000", "relay-b.example:30001", "[::1]:30002" }, spec.Gateways);
    }

    [Fact]
    public void A_single_gateway_is_enough()
    {
        Assert.True(SiteSpec.TryParse("w=gateways:relay:11111", out var spec, out _));
        Assert.Equal(new[] { "relay:11111" }, spec!.Gateways);
    }

    [Theory]
    [InlineData("=redis:localhost:6379")]
    [InlineData("east west=redis:localhost:6379")]
    [InlineData("east/1=redis:localhost:6379")]
    [InlineData("ëast=redis:localhost:6379")]
    [InlineData("east:1=redis:localhost:6379")]
    public void A_bad_site_name_is_refused(string text)
    {
        AssertRefused(text);
    }

    [Theory]
    [InlineData("east")]
    [InlineData("east=")]
    [InlineData("east=redis")]
    [InlineData("east=redis:")]
    [InlineData("east=gateways")]
    [InlineData("east=gateways:")]
    [InlineData("east=:localhost:6379")]
    [InlineData("")]
    public void A_site_without_a_kind_and_a_value_is_refused(string text)
    {
        AssertRefused(text);
    }

    [Theory]
    [InlineData("east=consul:localhost:8500", "consul")]
    [InlineData("east=Redis:localhost:6379", "Redis")]
    [InlineData("east=gateway:relay:30000", "gateway")]
    [InlineData("east=localhost:6379", "localhost")]
    public void An_unknown_kind_is_refused_and_named(string text, string kind)
    {
        var error = AssertRefused(text);
        Assert.Contains(kind, error);
    }

    [Theory]
    [InlineData("east=gateways:relay")]
    [InlineData("east=gateways:relay:")]
    [InlineData("east=gateways::30000")]
    [InlineData("east=gateways:relay:0")]
    [InlineData("east=gateways:relay:65536")]
    [InlineData("east=gateways:relay:http")]
    [InlineData("east=gateways:relay-a:30000,relay-b")]
    [InlineData("east=gateways:relay-a:30000,relay-b:-1")]
    public void A_bad_gateway_address_is_refused(string text)
    {
        var error = AssertRefused(text);
        Assert.Contains("east", error);
    }

    [Theory]
    [InlineData("east=gateways:,")]
    [InlineData("east=gateways: ")]
    [InlineData("east=gateways: , ,")]
    [InlineData("east=redis: ")]
    public void A_site_with_nothing_to_connect_to_is_refused(string text)
    {
        AssertRefused(text);
    }

    [Theory]
    [InlineData("east=redis:10.0.0.1:6379,password=secret")]
    [InlineData("east=redis:secret@10.0.0.1:6379")]
    [InlineData("east=redis:10.0.0.1:6379,user=admin,password=secret,ssl=true")]
    public void Showing_a_redis_site_never_shows_its_connection_string(string text)
    {
        Assert.True(SiteSpec.TryParse(text, out var spec, out _));
        foreach (var shown in new[] { spec!.ToString(), $"{spec}", string.Join(", ", new[] { spec }) })
        {
            Assert.DoesNotContain("secret", shown);
            Assert.DoesNotContain("password", shown);
            Assert.DoesNotContain("10.0.0.1", shown);
            Assert.Contains("east", shown);
            Assert.Contains("redis", shown);
        }
    }

    [Fact]
    public void Showing_a_gateways_site_shows_its_gateways()
    {
        Assert.True(SiteSpec.TryParse("west=gateways:a:1,b:2", out var spec, out _));
        var shown = spec!.ToString();
        Assert.Contains("west", shown);
        Assert.Contains("a:1", shown);
        Assert.Contains("b:2", shown);
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("Site-1_b.c", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("a=b", false)]
    [InlineData("ü", false)]
    public void Site_names_are_ascii_letters_digits_and_dash_underscore_dot(string name, bool valid)
    {
        Assert.Equal(valid, SiteSpec.IsName(name));
    }

    private static string AssertRefused(string text)
    {
        Assert.False(SiteSpec.TryParse(text, out var spec, out var error), $"'{text}' was accepted as {spec}");
        Assert.Null(spec);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error!;
    }
}
