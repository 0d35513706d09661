using Davecast.Http;

namespace Davecast.Tests.Http;

/// <summary>The one reading of Icecast's /admin/metadata?mode=updinfo query, shared by the edge and the publisher.</summary>
public sealed class UpdinfoTests
{
    [Theory]
    [InlineData("?mode=updinfo&mount=/live&song=Artist+-+Song", "live", "Artist - Song")]
    [InlineData("song=%C3%9Cml%C3%A4ut&mount=%2Flive.aac&mode=updinfo", "live.aac", "Ümläut")]
    [InlineData("mode=updinfo&mount=live&charset=ISO-8859-1&song=%DCml%E4ut", "live", "Ümläut")]
    [InlineData("mode=updinfo&mount=/live&song=%DCml%E4ut", "live", "Ümläut")]
    [InlineData("mode=updinfo&mount=/live&charset=UTF-8&song=Caf%C3%A9+%E2%80%93+Live", "live", "Café – Live")]
    [InlineData("mode=updinfo&mount=/live&song=A+%26+B&song=second", "live", "A & B")]
    [InlineData("mode=updinfo&mount=/live&song=", "live", "")]
    public void A_title_update_names_its_mount_and_its_song_as_utf8_or_else_latin1(string query, string mount, string song)
    {
        Assert.True(Updinfo.TryParse(query, out var update, out var error), error);
        Assert.Equal(new Updinfo(mount, song), update);
    }

    [Theory]
    [InlineData(null, "No such mode")]
    [InlineData("mount=/live&song=x", "No such mode")]
    [InlineData("mode=stats&mount=/live&song=x", "No such mode")]
    [InlineData("mode=updinfo&song=x", "Missing or bad parameter: mount")]
    [InlineData("mode=updinfo&mount=/&song=x", "Missing or bad parameter: mount")]
    [InlineData("mode=updinfo&mount=/a%20b&song=x", "Missing or bad parameter: mount")]
    [InlineData("mode=updinfo&mount=/live", "Missing parameter: song")]
    public void A_query_that_is_not_a_title_update_says_why(string? query, string reason)
    {
        Assert.False(Updinfo.TryParse(query, out var update, out var error));
        Assert.Null(update);
        Assert.StartsWith(reason, error);
    }

    [Fact]
    public void The_reply_is_icecasts_iceresponse_with_the_message_escaped()
    {
        Assert.Equal("<?xml version=\"1.0\"?>\n<iceresponse><message>Metadata update successful</message><return>1</return></iceresponse>\n",
            Updinfo.Reply("Metadata update successful", true));
        Assert.Contains("<message>a &lt;b&gt; &amp; c</message><return>0</return>", Updinfo.Reply("a <b> & c", false));
    }
}
