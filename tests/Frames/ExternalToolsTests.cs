using Davecast.Tests.Support;

namespace Davecast.Tests.Frames;

public sealed class ExternalToolsTests
{
    [Fact]
    public void Finds_ffmpeg_and_names_the_cure_for_a_missing_tool()
    {
        Assert.True(Path.IsPathFullyQualified(ExternalTools.Require("ffmpeg")));
        var e = Assert.Throws<InvalidOperationException>(() => ExternalTools.Require("davecast-no-such-tool"));
        Assert.Contains("davecast-no-such-tool", e.Message);
        Assert.Contains("./test.sh", e.Message);
    }
}
