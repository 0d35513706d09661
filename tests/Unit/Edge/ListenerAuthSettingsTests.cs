using Davecast.Edge.Listeners;

namespace Davecast.Tests.Edge;

/// <summary><c>--listener-auth-url URL</c>, <c>MOUNT=URL</c> and <c>MOUNT=none</c>: which hook decides on which mount.</summary>
public class ListenerAuthSettingsTests
{
    [Fact]
    public void A_mount_of_its_own_wins_over_the_global_hook_and_none_makes_a_mount_public()
    {
        Assert.True(ListenerAuthSettings.TryParse(
            ["https://auth.example/hook?key=a=b", "/vip.mp3=http://vip.example/check", "free.mp3=none"], out var settings, out var error), error);
        Assert.Equal(new Uri("https://auth.example/hook?key=a=b"), settings.For("any.aac"));
        Assert.Equal(new Uri("http://vip.example/check"), settings.For("vip.mp3"));
        Assert.Null(settings.For("free.mp3"));
    }

    [Fact]
    public void Without_a_global_hook_only_the_named_mounts_are_guarded()
    {
        Assert.True(ListenerAuthSettings.TryParse(["vip.mp3=http://vip.example/"], out var settings, out _));
        Assert.Null(settings.For("other.mp3"));
        Assert.NotNull(settings.For("vip.mp3"));
        Assert.True(ListenerAuthSettings.TryParse([], out var none, out _));
        Assert.Null(none.For("vip.mp3"));
    }

    [Theory]
    [InlineData("ftp://auth.example/", "--listener-auth-url must be URL (every mount), MOUNT=URL or MOUNT=none")]
    [InlineData("vip.mp3=auth.example", "--listener-auth-url: the URL for mount /vip.mp3 is not an absolute http:// or https:// URL (or 'none')")]
    [InlineData("=http://a/", "--listener-auth-url must be URL (every mount), MOUNT=URL or MOUNT=none")]
    [InlineData("a b=http://a/", "--listener-auth-url: mount name 'a b' has a character that cannot appear in a URL path")]
    public void A_bad_value_names_the_option(string value, string message)
    {
        Assert.False(ListenerAuthSettings.TryParse([value], out _, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void The_same_mount_or_two_global_hooks_are_refused()
    {
        Assert.False(ListenerAuthSettings.TryParse(["http://a/", "https://b/"], out _, out var twice));
        Assert.Equal("--listener-auth-url: a URL for every mount is given twice", twice);
        Assert.False(ListenerAuthSettings.TryParse(["m=http://a/", "/m=none"], out _, out var mount));
        Assert.Equal("--listener-auth-url: mount /m is given twice", mount);
    }
}
