using Davecast.Frames;
using Davecast.Http;

namespace Davecast.Tests.Http;

/// <summary>The one map between Content-Types and codecs.</summary>
public sealed class ContentTypesTests
{
    [Theory]
    [InlineData("audio/aac", CodecKind.Aac)]
    [InlineData("audio/aacp", CodecKind.Aac)]
    [InlineData(" Audio/X-AAC ", CodecKind.Aac)]
    [InlineData("audio/x-aacp", CodecKind.Aac)]
    [InlineData("audio/vnd.dlna.adts", CodecKind.Aac)]
    [InlineData("audio/AAC; charset=x", CodecKind.Aac)]
    [InlineData("audio/mpeg", CodecKind.Mpeg)]
    [InlineData("AUDIO/MPEG; charset=binary", CodecKind.Mpeg)]
    [InlineData("audio/mp3", CodecKind.Mpeg)]
    [InlineData("audio/x-mpeg", CodecKind.Mpeg)]
    [InlineData("audio/mpa", CodecKind.Mpeg)]
    [InlineData("audio/x-mp3", CodecKind.Mpeg)]
    [InlineData("audio/ogg", CodecKind.Unknown)]
    [InlineData("application/ogg", CodecKind.Unknown)]
    [InlineData("application/octet-stream", CodecKind.Unknown)]
    [InlineData("", CodecKind.Unknown)]
    [InlineData(null, CodecKind.Unknown)]
    public void Content_types_name_codecs(string? contentType, CodecKind codec) => Assert.Equal(codec, ContentTypes.CodecOf(contentType));

    [Theory]
    [InlineData(CodecKind.Aac, "audio/aac")]
    [InlineData(CodecKind.Mpeg, "audio/mpeg")]
    public void A_codec_is_served_with_the_content_type_players_expect_and_that_names_it_back(CodecKind codec, string contentType)
    {
        Assert.Equal(contentType, ContentTypes.Of(codec));
        Assert.Equal(contentType, new CodecParameters(codec, 44100, 2, 0, 2, 4, 1024).ContentType);
        Assert.Equal(codec, ContentTypes.CodecOf(ContentTypes.Of(codec)));
    }
}
