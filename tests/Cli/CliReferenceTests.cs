using Davecast.Tests.Support;

namespace Davecast.Tests.Cli;

/// <summary>
/// docs/reference/cli.md is what docs/reference/generate-cli.sh makes from the programs' --help: the test runs that
/// script to a temporary file, so the page and the check are made the same way, and names the first stale line.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CliReferenceTests
{
    private const string Page = "docs/reference/cli.md";
    private const string Script = "docs/reference/generate-cli.sh";

    [Fact]
    public async Task The_committed_cli_reference_is_what_the_programs_help_prints()
    {
        var generated = Path.Combine(Path.GetTempPath(), $"davecast-cli-{Guid.NewGuid():N}.md");
        try
        {
            using (var script = new ChildProcess("generate-cli.sh", "bash", [Path.Combine(Repo.Root, Script), generated],
                       new Dictionary<string, string> { ["CONFIGURATION"] = Repo.Configuration }))
            {
                int code = await script.WaitForExitAsync(TimeSpan.FromSeconds(120));
                Assert.True(code == 0, $"{Script} failed ({code}):\n{script.Output}");
            }
            var stale = FirstDifference(File.ReadAllLines(Path.Combine(Repo.Root, Page)), File.ReadAllLines(generated));
            Assert.True(stale is null, stale);
        }
        finally
        {
            File.Delete(generated);
        }
    }

    [Fact]
    public void A_stale_page_is_reported_with_its_program_and_first_differing_line()
    {
        string[] generated = ["# Command-line reference", "## davecast-silo (relay)", "  --window <window>  [default: 10]", "## davecast-edge (edge gateway)", "  --port <port>  [default: 8000]"];
        string[] committed = [.. generated];
        committed[4] = "  --port <port>  [default: 8080]";

        var message = FirstDifference(committed, generated);

        Assert.NotNull(message);
        Assert.Contains("davecast-edge (edge gateway)", message);
        Assert.Contains("line 5", message);
        Assert.Contains("[default: 8080]", message);
        Assert.Contains("[default: 8000]", message);
        Assert.Contains(Script, message);
        Assert.Null(FirstDifference(generated, generated));
        Assert.Contains("davecast-edge", FirstDifference(generated[..4], generated));
    }

    /// <summary>Null when the pages are equal; else which program's section is stale, at which line, and what to run.</summary>
    private static string? FirstDifference(IReadOnlyList<string> committed, IReadOnlyList<string> generated)
    {
        int line = 0;
        while (line < committed.Count && line < generated.Count && committed[line] == generated[line]) line++;
        if (line == committed.Count && line == generated.Count) return null;
        var section = generated.Take(line + 1).LastOrDefault(l => l.StartsWith("## ", StringComparison.Ordinal))?[3..] ?? "the page's header";
        string Show(IReadOnlyList<string> lines) => line < lines.Count ? $"'{lines[line]}'" : "(the end of the page)";
        return $"{Page} is stale for {section}, from line {line + 1}:\n  committed: {Show(committed)}\n  --help now: {Show(generated)}\n"
            + $"Run {Script} after building the solution (dotnet build Davecast.Orleans.sln -c Release) and commit {Page}.";
    }
}
