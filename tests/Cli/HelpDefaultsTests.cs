using System.Text.RegularExpressions;
using Davecast.Tests.Support;

namespace Davecast.Tests.Cli;

/// <summary>
/// Every option of every program's --help states its default once: in the bracket, or in its description, never both.
/// (davecast-bench prints a usage text, where an option's default is its one example value.)
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class HelpDefaultsTests
{
    [Theory]
    [InlineData("silo", "davecast-silo")]
    [InlineData("edge-gateway", "davecast-edge")]
    [InlineData("publisher", "davecast-publisher")]
    public async Task No_option_shows_two_defaults(string project, string assembly)
    {
        using var help = ChildProcess.Dotnet(assembly, Repo.ProgramDll(project, assembly), "--help");
        Assert.Equal(0, await help.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var options = help.Output.Split('\n').Where(l => l.TrimStart().StartsWith('-')).ToList();
        Assert.NotEmpty(options);
        Assert.All(options, line => Assert.True(Default().Count(line) <= 1, $"two defaults: {line.Trim()}"));
        Assert.Contains(options, line => line.Contains("[default: "));
    }

    [GeneratedRegex("default", RegexOptions.IgnoreCase)]
    private static partial Regex Default();
}
