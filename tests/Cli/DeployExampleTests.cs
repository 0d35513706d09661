using Davecast.Tests.Support;

namespace Davecast.Tests.Cli;

/// <summary>The example configuration in deploy/example names only options that exist, so an operator can copy it.</summary>
[Collection("processes")]
public sealed class DeployExampleTests
{
    public static TheoryData<string, string, string> Examples()
    {
        var data = new TheoryData<string, string, string>();
        var root = Path.Combine(Repo.Root, "deploy", "example");
        foreach (var file in Directory.GetFiles(root, "appsettings.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var folder = Path.GetFileName(Path.GetDirectoryName(file)!);
            var (project, program) = folder switch
            {
                "relay" => ("silo", "davecast-silo"),
                "edge" => ("edge-gateway", "davecast-edge"),
                _ when folder.StartsWith("publisher-", StringComparison.Ordinal) => ("publisher", "davecast-publisher"),
                _ => throw new InvalidOperationException($"{file}: no program for folder '{folder}'"),
            };
            data.Add(Path.GetRelativePath(Repo.Root, file), project, program);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Every_setting_of_an_example_configuration_names_an_option_of_its_program(string file, string project, string program)
    {
        using var process = ChildProcess.Dotnet(program, Repo.ProgramDll(project, program), "--config", Path.Combine(Repo.Root, file), "--help");
        int code = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("there is no option", process.Output);
        Assert.Equal(0, code);
    }

    [Fact]
    public void The_examples_cover_two_sites_with_a_relay_and_an_edge_each_and_two_publishers()
    {
        var files = Examples().Select(row => (string)row[0]).ToList();
        Assert.Equal(6, files.Count);
        foreach (var site in new[] { "site-a", "site-b" })
        {
            Assert.Contains(files, f => f.Contains(site) && f.Contains("relay"));
            Assert.Contains(files, f => f.Contains(site) && f.Contains("edge"));
        }
        Assert.Equal(2, files.Count(f => f.Contains("publisher-")));
    }
}
