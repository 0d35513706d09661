using System.Collections;
using System.CommandLine;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Davecast.Cli;

/// <summary>
/// Settings for a program's command-line options from, lowest precedence first: <c>appsettings.json</c>,
/// <c>appsettings.{Environment}.json</c> (both in the working directory), the file given with <c>--config</c>,
/// environment variables <c>Davecast__OptionName</c>, and the command line itself.
/// <para>
/// Every option <c>--some-option</c> is the setting <c>SomeOption</c> (in JSON, under a <c>"Davecast"</c> object;
/// a repeatable option takes a JSON array, or <c>Davecast__SomeOption__0</c>, <c>__1</c>... in the environment).
/// The settings are turned into command-line tokens for the options the command line does not give, so that one
/// parser validates every value wherever it came from, and an error names the option and where its value was set.
/// A setting that names no option is an error too: a typo must not be ignored silently.
/// </para>
/// </summary>
public sealed class LayeredSettings
{
    /// <summary>Prefix of the environment variables, and the JSON section, that hold settings.</summary>
    public const string Section = "Davecast";

    /// <summary>The option that names an extra settings file.</summary>
    public const string ConfigOption = "--config";

    private readonly Dictionary<string, string> _sourceOfOption;

    private LayeredSettings(string[] arguments, IReadOnlyList<string> errors, Dictionary<string, string> sourceOfOption)
    {
        Arguments = arguments;
        Errors = errors;
        _sourceOfOption = sourceOfOption;
    }

    /// <summary>The command line to parse: the settings' tokens first, then the program's own arguments.</summary>
    public string[] Arguments { get; }

    /// <summary>Settings that cannot be used (unknown names, unreadable files), each naming its source.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>The host environment name, as ASP.NET Core reads it: ASPNETCORE_ENVIRONMENT, else DOTNET_ENVIRONMENT, else Production.</summary>
    public static string EnvironmentName(IDictionary? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        foreach (var name in new[] { "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT" })
            if (environment[name] is string value && !string.IsNullOrWhiteSpace(value)) return value.Trim();
        return "Production";
    }

    public static bool IsDevelopment(string environmentName) => environmentName.Equals("Development", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Adds <c>--config</c> to <paramref name="root"/> and builds the command line from every source.
    /// </summary>
    /// <param name="directory">Where appsettings files are looked for (default: the working directory).</param>
    /// <param name="environment">Environment variables (default: the process's).</param>
    public static LayeredSettings Apply(RootCommand root, string[] args, string? directory = null, IDictionary? environment = null)
    {
        if (!root.Options.Any(o => o.Name == ConfigOption))
        {
            root.Options.Add(new Option<string?>(ConfigOption)
            {
                Description = "Settings file (JSON, options under \"Davecast\"), above appsettings.json and below Davecast__* environment variables",
            });
        }
        environment ??= Environment.GetEnvironmentVariables();
        directory ??= Directory.GetCurrentDirectory();
        var errors = new List<string>();
        var envName = EnvironmentName(environment);

        // Lowest precedence first: a later source replaces an earlier one's value for the same option.
        var sources = new List<(string Name, IConfiguration Settings)>();
        foreach (var file in new[] { "appsettings.json", $"appsettings.{envName}.json" })
        {
            var path = Path.Combine(directory, file);
            if (File.Exists(path)) AddJson(sources, errors, path, file);
        }
        if (FindArgument(args, ConfigOption) is { } configFile)
        {
            if (File.Exists(configFile)) AddJson(sources, errors, Path.GetFullPath(configFile), configFile);
            else errors.Add($"{ConfigOption}: '{configFile}' does not exist");
        }
        var fromEnvironment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry e in environment)
        {
            if (e.Key is string key && key.StartsWith(Section + "__", StringComparison.OrdinalIgnoreCase))
                fromEnvironment[Section + ":" + key[(Section.Length + 2)..].Replace("__", ":", StringComparison.Ordinal)] = e.Value as string;
        }
        if (fromEnvironment.Count > 0)
            sources.Add(("environment variable", new ConfigurationBuilder().AddInMemoryCollection(fromEnvironment).Build()));

        var options = root.Options
            .Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name is not ("--help" or "--version" or ConfigOption))
            .ToDictionary(o => SettingName(o.Name), StringComparer.OrdinalIgnoreCase);
        var chosen = new Dictionary<Option, (List<string> Values, string Source)>();
        foreach (var (sourceName, settings) in sources)
        {
            foreach (var setting in settings.GetSection(Section).GetChildren())
            {
                string where = sourceName == "environment variable" ? $"environment variable {Section}__{setting.Key}" : $"{sourceName} ({Section}:{setting.Key})";
                if (!options.TryGetValue(setting.Key, out var option))
                {
                    errors.Add($"{where}: there is no option --{Kebab(setting.Key)}");
                    continue;
                }
                var values = setting.Value is { } single
                    ? [single]
                    : setting.GetChildren().OrderBy(c => int.TryParse(c.Key, out int i) ? i : int.MaxValue).Select(c => c.Value ?? "").ToList();
                chosen[option] = (values, where);
            }
        }

        var result = new List<string>();
        var sourceOfOption = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, (values, where)) in chosen)
        {
            if (IsOnCommandLine(args, option)) continue;
            // One token a value, "--option=value": a value is never taken for an option, nor for a response file ("@file").
            foreach (var v in values) result.Add($"{option.Name}={v}");
            sourceOfOption[option.Name] = where;
        }
        result.AddRange(args);
        return new LayeredSettings([.. result], errors, sourceOfOption);
    }

    /// <summary>
    /// Parses <see cref="Arguments"/>; null, with <paramref name="error"/>, when a response file given on the command
    /// line ("@FILE") cannot be read (a folder, a file not readable), which the parser throws for.
    /// </summary>
    public ParseResult? Parse(RootCommand root, out string error)
    {
        error = "";
        try
        {
            return root.Parse(Arguments);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"A response file (an argument @FILE) cannot be read: {e.Message}";
            return null;
        }
    }

    /// <summary>Where the value of <paramref name="option"/> was set, when not on the command line.</summary>
    public string? SourceOf(string option) => _sourceOfOption.GetValueOrDefault(option);

    /// <summary>An error message with where the value of the option it names was set, if not on the command line.</summary>
    public string Explain(string error)
    {
        foreach (var (option, where) in _sourceOfOption)
        {
            if (ContainsOptionName(error, option)) return $"{error} (set by {where})";
        }
        return error;
    }

    /// <summary>"--ingest-port" is the setting "IngestPort".</summary>
    public static string SettingName(string option)
    {
        var text = new StringBuilder();
        foreach (var part in option.TrimStart('-').Split('-', StringSplitOptions.RemoveEmptyEntries))
            text.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        return text.ToString();
    }

    private static string Kebab(string setting)
    {
        var text = new StringBuilder();
        for (int i = 0; i < setting.Length; i++)
        {
            if (char.IsUpper(setting[i]) && i > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(setting[i]));
        }
        return text.ToString();
    }

    private static bool ContainsOptionName(string text, string option)
    {
        int at = 0;
        while ((at = text.IndexOf(option, at, StringComparison.Ordinal)) >= 0)
        {
            int end = at + option.Length;
            if (end == text.Length || !(char.IsLetterOrDigit(text[end]) || text[end] == '-')) return true;
            at = end;
        }
        return false;
    }

    private static void AddJson(List<(string, IConfiguration)> sources, List<string> errors, string path, string shown)
    {
        try
        {
            sources.Add((shown, new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build()));
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            errors.Add($"{shown}: cannot be read: {e.InnerException?.Message ?? e.Message}");
        }
    }

    private static bool IsOnCommandLine(string[] args, Option option)
    {
        foreach (var a in args)
        {
            if (a == "--") break;
            foreach (var name in option.Aliases.Prepend(option.Name))
                if (a == name || a.StartsWith(name + "=", StringComparison.Ordinal) || a.StartsWith(name + ":", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static string? FindArgument(string[] args, string name)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length) return args[i + 1];
            if (args[i].StartsWith(name + "=", StringComparison.Ordinal)) return args[i][(name.Length + 1)..];
        }
        return null;
    }
}
