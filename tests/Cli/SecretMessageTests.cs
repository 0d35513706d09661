using Davecast.Tests.Support;

namespace Davecast.Tests.Cli;

/// <summary>
/// A bad value of an option that carries a secret (a key, a password, a Redis connection string, a URL with a login),
/// from the command line, the environment or a settings file: the program stops naming the option, and the value
/// is nowhere in what it prints.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class SecretMessageTests
{
    private const string Secret = "longsecret";

    public static TheoryData<string, string[], string, string> BadSecrets => new()
    {
        // program, arguments, environment variable (NAME=VALUE or ""), what the message names
        { "relay", ["--key", Secret], "", "--key" },
        { "relay", ["--key", $"ops={Secret}", "--key", $"{Secret}="], "", "--key" },
        { "relay", ["--key", "ops=abc", $"extra={Secret}"], "", "--key" },
        { "relay", [], $"Davecast__Key__0={Secret}", "Davecast__Key" },
        { "relay", ["--config", "CONFIG"], "", "--key" },
        { "edge", ["--site", $"eu=redis-host,password={Secret}"], "", "--site" },
        { "edge", [], $"Davecast__Site__0=eu=127.0.0.1:6379,password={Secret}", "--site" },
        { "publisher", ["--mount", "m", "--relay", "127.0.0.1:9", "--stdin", "--key", "two words", Secret], "", "--key" },
        { "publisher", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", $"htp://source:{Secret}@radio.example/live"], "", "--source-url" },
        { "publisher", ["--mount", "m", "--relay", "127.0.0.1:9", "--source-url", $"source:{Secret}@radio.example/live"], "", "--source-url" },
    };

    [Theory]
    [MemberData(nameof(BadSecrets))]
    public async Task A_bad_secret_is_named_by_its_option_never_shown(string program, string[] args, string variable, string named)
    {
        var config = Path.Combine(Path.GetTempPath(), $"davecast-secret-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$"""{ "Davecast": { "Key": [ "{{Secret}}" ] } }""");
        try
        {
            var env = new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" };
            if (variable.Length > 0) env[variable[..variable.IndexOf('=')]] = variable[(variable.IndexOf('=') + 1)..];
            var (project, assembly) = program switch
            {
                "relay" => ("silo", "davecast-silo"),
                "edge" => ("edge-gateway", "davecast-edge"),
                _ => ("publisher", "davecast-publisher"),
            };
            using var child = new ChildProcess(program, "dotnet", [Repo.ProgramDll(project, assembly), .. args.Select(a => a == "CONFIG" ? config : a)], env);

            int code = await child.WaitForExitAsync(TimeSpan.FromSeconds(30));

            Assert.True(code == 1, $"exit code {code}:\n{child.Output}");
            Assert.Contains(named, child.ErrorOutput);
            Assert.DoesNotContain(Secret, child.Output);
        }
        finally
        {
            File.Delete(config);
        }
    }
}
