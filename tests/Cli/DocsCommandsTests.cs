using System.Text.RegularExpressions;
using Davecast.Tests.Support;

namespace Davecast.Tests.Cli;

/// <summary>
/// The shell commands of README.md, docs/walkthrough.md and docs/icecast.md name files that exist when copied
/// into a shell at the repository root: scripts, fixtures, and program dlls that a project of the solution builds.
/// </summary>
public sealed class DocsCommandsTests
{
    public static TheoryData<string> Documents() => ["README.md", "docs/walkthrough.md", "docs/icecast.md"];

    // A word that names a file: it has a folder, or a file name's extension (a bare name must be in the root then).
    private static readonly Regex FileWord = new(@"^(?:\./)?(?:[\w.-]+/)*[\w.-]+\.(?:dll|sh|aac|mp3|sln|csproj|json|xml|md)$");

    // Options whose value is a name, not a file (--mount live.aac).
    private static readonly HashSet<string> NameOptions = ["--mount", "--encoder", "--name", "--site"];

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_file_a_shell_command_names_exists(string document)
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, document));
        var commands = Regex.Matches(text, "```sh\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(commands);
        var checkedWords = new List<string>();
        foreach (var line in commands.SelectMany(c => c.Split('\n')).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < words.Length; i++)
            {
                var word = words[i].Trim('"', '\'');
                // URLs, absolute paths (another machine's, or /tmp) and names given to options are not files here.
                if (word.Contains("://") || word.StartsWith('/') || word.StartsWith('$') || (i > 0 && NameOptions.Contains(words[i - 1]))) continue;
                if (!FileWord.IsMatch(word)) continue;
                checkedWords.Add(word);
                Assert.True(Exists(word), $"{document}: `{line}` names {word}, which is not a file at the repository root{Hint(word)}");
            }
        }
        Assert.NotEmpty(checkedWords);
    }

    /// <summary>A program's dll under bin/CONFIGURATION/net10.0 exists once built: its project must build that assembly.</summary>
    private static bool Exists(string path)
    {
        var full = Path.Combine(Repo.Root, path);
        if (File.Exists(full)) return true;
        var built = Regex.Match(path, @"^(?:\./)?(?<project>[\w.-]+)/bin/(Release|Debug)/net10\.0/(?<assembly>[\w.-]+)\.dll$");
        if (!built.Success) return false;
        var folder = Path.Combine(Repo.Root, built.Groups["project"].Value);
        return Directory.Exists(folder) && Directory.GetFiles(folder, "*.csproj")
            .Any(p => File.ReadAllText(p).Contains($"<AssemblyName>{built.Groups["assembly"].Value}</AssemblyName>"));
    }

    private static string Hint(string word) => word.Contains('/') ? "" : Path.GetExtension(word) switch
    {
        ".dll" => " (a program: name it by its build path, such as publisher/bin/Release/net10.0/davecast-publisher.dll)",
        ".aac" or ".mp3" => $" (a fixture: fixtures/{word})",
        _ => "",
    };
}
