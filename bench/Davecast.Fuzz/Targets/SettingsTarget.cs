using System.CommandLine;
using System.Text;
using Davecast.Cli;

namespace Davecast.Fuzz;

/// <summary>
/// Input: text in three parts separated by NUL: an appsettings.json, environment variables (NAME=value lines) and
/// a command line (one argument a line). Arguments naming <c>--config</c> are dropped: they would have the fuzzer
/// read files of the machine. The settings are layered and parsed as a program does; every error must name a source.
/// </summary>
public static class SettingsTarget
{
    // One folder per thread: the unit suite runs the target on several threads at once.
    private static readonly ThreadLocal<string> Folder = new(() => Directory.CreateTempSubdirectory("davecast-fuzz-settings-").FullName);

    public static void Run(ReadOnlySpan<byte> input)
    {
        var parts = Encoding.UTF8.GetString(input).Split('\0');
        string folder = Folder.Value!;
        File.WriteAllText(Path.Combine(folder, "appsettings.json"), parts[0]);
        var environment = new Dictionary<string, string>();
        if (parts.Length > 1)
        {
            foreach (var line in parts[1].Split('\n'))
            {
                int equals = line.IndexOf('=');
                if (equals > 0) environment[line[..equals]] = line[(equals + 1)..];
            }
        }
        var args = parts.Length > 2 ? parts[2].Split('\n').Where(a => !a.Contains(LayeredSettings.ConfigOption, StringComparison.Ordinal)).ToArray() : [];
        var root = new RootCommand("fuzz")
        {
            new Option<int>("--ingest-port"),
            new Option<string[]>("--peer") { AllowMultipleArgumentsPerToken = false },
            new Option<bool>("--verbose"),
            new Option<string?>("--name", "-n"),
        };
        var settings = LayeredSettings.Apply(root, args, folder, environment);
        foreach (var error in settings.Errors) FuzzFinding.Unless(error.Contains(':'), $"the settings error '{error}' names no source");
        if (settings.Parse(root, out var unreadable) is not { } parsed)
        {
            FuzzFinding.Unless(unreadable.Contains("@FILE", StringComparison.Ordinal), "a parse that failed says nothing of why");
            return;
        }
        foreach (var error in parsed.Errors) _ = settings.Explain(error.Message);
        _ = settings.SourceOf("--ingest-port");
    }

    public static IEnumerable<(string, byte[])> Seeds()
    {
        yield return ("all-layers", Encoding.UTF8.GetBytes(
            "{ \"Davecast\": { \"IngestPort\": 7000, \"Peer\": [\"a:1\", \"b:2\"], \"Verbose\": true } }\0"
            + "Davecast__Name=relay-1\nDOTNET_ENVIRONMENT=Development\nDavecast__Peer__0=c:3\0"
            + "--ingest-port\n7001\n-n\nx"));
        yield return ("unknown", Encoding.UTF8.GetBytes("{ \"Davecast\": { \"NoSuch\": 1, \"IngestPort\": \"x\" } }\0Davecast__Bad=1\0--verbose"));
    }
}
