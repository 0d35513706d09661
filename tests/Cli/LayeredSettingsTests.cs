using System.Collections;
using System.CommandLine;
using Davecast.Cli;
using Davecast.Tests.Support;

namespace Davecast.Tests.Cli;

public sealed class LayeredSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("davecast-settings-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (RootCommand Root, Option<int> Port, Option<string> Name, Option<string[]> Relays, Option<bool> Loop) Command()
    {
        var port = new Option<int>("--ingest-port") { DefaultValueFactory = _ => 9001 };
        port.Rule(v => v is < 1 or > 65535 ? "--ingest-port must be a port number" : null);
        var name = new Option<string>("--name") { DefaultValueFactory = _ => "default-name" };
        var relays = new Option<string[]>("--relay");
        var loop = new Option<bool>("--loop");
        return (new RootCommand { port, name, relays, loop }, port, name, relays, loop);
    }

    private void Write(string file, string json) => File.WriteAllText(Path.Combine(_dir, file), json);

    [Fact]
    public void Each_layer_overrides_the_one_below_it_and_the_command_line_overrides_all()
    {
        var (root, port, name, relays, loop) = Command();
        Write("appsettings.json", """{ "Davecast": { "IngestPort": 1000, "Name": "from-json", "Relay": ["a:1", "b:2"], "Loop": true } }""");
        Write("appsettings.Staging.json", """{ "Davecast": { "IngestPort": 2000 } }""");
        Write("extra.json", """{ "Davecast": { "IngestPort": 3000, "Name": "from-config-file" } }""");
        var env = new Hashtable { ["DOTNET_ENVIRONMENT"] = "Staging", ["Davecast__IngestPort"] = "4000" };

        var layered = LayeredSettings.Apply(root, ["--config", Path.Combine(_dir, "extra.json"), "--name", "from-command-line"], _dir, env);
        Assert.Empty(layered.Errors);
        var parse = root.Parse(layered.Arguments);
        Assert.Empty(parse.Errors);
        Assert.Equal(4000, parse.GetValue(port));
        Assert.Equal("from-command-line", parse.GetValue(name));
        Assert.Equal(["a:1", "b:2"], parse.GetValue(relays) ?? []);
        Assert.True(parse.GetValue(loop));
        Assert.Equal("environment variable Davecast__IngestPort", layered.SourceOf("--ingest-port"));
        Assert.Null(layered.SourceOf("--name"));

        // Without the environment variable, the --config file wins over appsettings.{Environment}.json.
        env.Remove("Davecast__IngestPort");
        var (root2, port2, _, _, _) = Command();
        var second = LayeredSettings.Apply(root2, ["--config", Path.Combine(_dir, "extra.json")], _dir, env);
        Assert.Equal(3000, root2.Parse(second.Arguments).GetValue(port2));
    }

    [Fact]
    public void Repeatable_options_come_from_indexed_environment_variables()
    {
        var (root, _, _, relays, _) = Command();
        var env = new Hashtable { ["Davecast__Relay__1"] = "second:2", ["Davecast__Relay__0"] = "first:1" };
        var layered = LayeredSettings.Apply(root, [], _dir, env);
        Assert.Equal(["first:1", "second:2"], root.Parse(layered.Arguments).GetValue(relays) ?? []);
    }

    [Fact]
    public void A_bad_value_from_a_layer_is_reported_with_the_option_and_where_it_was_set()
    {
        var (root, _, _, _, _) = Command();
        Write("appsettings.json", """{ "Davecast": { "IngestPort": 70000 } }""");
        var layered = LayeredSettings.Apply(root, [], _dir, new Hashtable());
        var parse = root.Parse(layered.Arguments);
        var message = layered.Explain(Assert.Single(parse.Errors).Message);
        Assert.Equal("--ingest-port must be a port number (set by appsettings.json (Davecast:IngestPort))", message);

        var (root2, _, _, _, _) = Command();
        var notANumber = LayeredSettings.Apply(root2, [], _dir, new Hashtable { ["Davecast__IngestPort"] = "many" });
        var error = notANumber.Explain(Assert.Single(root2.Parse(notANumber.Arguments).Errors).Message);
        Assert.Contains("--ingest-port", error);
        Assert.EndsWith("(set by environment variable Davecast__IngestPort)", error);
    }

    [Fact]
    public void A_setting_that_names_no_option_and_an_unreadable_file_are_errors()
    {
        var (root, _, _, _, _) = Command();
        Write("appsettings.json", """{ "Davecast": { "IngestPrt": 1 } }""");
        var layered = LayeredSettings.Apply(root, ["--config", Path.Combine(_dir, "missing.json")], _dir, new Hashtable { ["Davecast__Colour"] = "blue" });
        Assert.Contains("appsettings.json (Davecast:IngestPrt): there is no option --ingest-prt", layered.Errors);
        Assert.Contains("environment variable Davecast__Colour: there is no option --colour", layered.Errors);
        Assert.Contains(layered.Errors, e => e.StartsWith("--config: ") && e.Contains("missing.json"));

        var (root2, _, _, _, _) = Command();
        Write("appsettings.json", "{ not json");
        Assert.Contains(LayeredSettings.Apply(root2, [], _dir, new Hashtable()).Errors, e => e.StartsWith("appsettings.json: cannot be read"));
    }

    [Theory]
    [InlineData("Production", new string[0], "--secret is the development default")]
    [InlineData("Production", new[] { "--secret", "" }, "--secret is empty")]
    [InlineData("Staging", new[] { "--secret", "hackme" }, "--secret is the development default")]
    [InlineData("Production", new[] { "--secret", "s3cret-of-ours" }, null)]
    [InlineData("Development", new string[0], null)]
    [InlineData("development", new[] { "--secret", "hackme" }, null)]
    public void Outside_development_a_default_or_empty_secret_is_refused_without_showing_it(string environment, string[] args, string? expected)
    {
        var secret = new Option<string>("--secret") { DefaultValueFactory = _ => "hackme" };
        var root = new RootCommand { secret };
        var refusals = ProgramRunner.CheckSecrets(root.Parse(args), [new SecretOption(secret, "hackme")], environment);
        if (expected is null)
        {
            Assert.Empty(refusals);
            return;
        }
        var message = Assert.Single(refusals);
        Assert.StartsWith(expected, message);
        Assert.Contains(environment, message);
        Assert.DoesNotContain("hackme", message);
    }

    [Fact]
    public void Option_names_map_to_setting_names()
    {
        Assert.Equal("IngestPort", LayeredSettings.SettingName("--ingest-port"));
        Assert.Equal("Key", LayeredSettings.SettingName("--key"));
        Assert.Equal("MaxListenersPerMount", LayeredSettings.SettingName("--max-listeners-per-mount"));
    }
}

/// <summary>The programs themselves, as an operator starts them.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ProductionSecretProcessTests
{
    [Theory]
    [InlineData("silo", "davecast-silo", "--key is not set")]
    [InlineData("edge-gateway", "davecast-edge", "--relay-password is the development default")]
    [InlineData("publisher", "davecast-publisher", "--key is the development default")]
    public async Task In_production_a_program_with_a_default_secret_refuses_to_start_and_says_which(string project, string program, string expected)
    {
        string[] args = project switch
        {
            "silo" => [Repo.ProgramDll(project, program), "--dashboard-port", "0"],
            "publisher" => [Repo.ProgramDll(project, program), "--mount", "m.aac", "--relay", "127.0.0.1:9", "--file", Repo.Fixture("programme.aac")],
            _ => [Repo.ProgramDll(project, program)],
        };
        using var process = new ChildProcess(program, "dotnet", args, new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(expected, process.Output);
        Assert.Contains("refused in the Production environment", process.Output);
        Assert.DoesNotContain("hackme", process.Output);
        Assert.DoesNotContain(Davecast.Wire.Protocol.DevelopmentSecret, process.Output);
    }

    [Theory]
    [InlineData("silo", "davecast-silo", "--ingest-port")]
    [InlineData("edge-gateway", "davecast-edge", "--port")]
    public async Task A_value_that_is_not_a_number_stops_the_program_with_a_message_naming_the_option(string project, string program, string option)
    {
        using var process = ChildProcess.Dotnet(program, Repo.ProgramDll(project, program), option, "many");
        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"Cannot parse argument 'many' for option '{option}'", process.Output);
        Assert.DoesNotContain("Unhandled exception", process.Output);
    }

    [Fact]
    public async Task Settings_reach_a_relay_through_environment_variables_and_a_bad_one_names_its_variable()
    {
        using var process = new ChildProcess("relay", "dotnet", [Repo.ProgramDll("silo", "davecast-silo")],
            new Dictionary<string, string> { ["Davecast__Key__0"] = "ops=a-real-secret", ["Davecast__BatchMs"] = "5", ["Davecast__DashboardPort"] = "0" });
        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--batch-ms must be between 10 and 1000 (set by environment variable Davecast__BatchMs)", process.Output);
        Assert.DoesNotContain("a-real-secret", process.Output);
    }
}
