using System.CommandLine;
using System.CommandLine.Invocation;

namespace Davecast.Cli;

/// <summary>
/// A secret option and the development value it has by default; <paramref name="AppliesWhen"/>, if given, says
/// whether this run uses it at all (a source password matters only when source clients are accepted).
/// </summary>
public sealed record SecretOption(Option Option, string DevelopmentValue, Func<ParseResult, bool>? AppliesWhen = null);

/// <summary>
/// Runs a Davecast program's command line: settings from every layer (<see cref="LayeredSettings"/>), errors that
/// name the option and where its value was set, a port that cannot be bound reported as one line naming its option
/// (<see cref="ListenFailure"/>), and, outside the Development environment, a refusal to start with
/// a development or empty secret. A secret's value is never printed.
/// </summary>
public static class ProgramRunner
{
    /// <summary>Ends the help of every secret option.</summary>
    public const string SecretNote = "; outside Development, a secret of your own";

    public static async Task<int> RunAsync(
        RootCommand root, string[] args, string program, IReadOnlyList<SecretOption> secrets,
        TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default, string? environmentName = null,
        InvocationConfiguration? configuration = null)
    {
        MallocTrim.Start();
        output ??= Console.Out;
        error ??= Console.Error;
        configuration ??= new InvocationConfiguration { Output = output, Error = error };
        if (root.Action is AsynchronousCommandLineAction action)
        {
            // A port that cannot be bound is one line naming its option; any other failure keeps the parser's report.
            root.SetAction(async (parse, token) =>
            {
                try
                {
                    return await action.InvokeAsync(parse, token);
                }
                catch (Exception e) when (ListenFailure.Find(e) is { } failure)
                {
                    await error.WriteLineAsync(failure.Message);
                    return 1;
                }
            });
        }
        foreach (var secret in secrets)
        {
            // Said once here for every secret, so that no description repeats its default.
            if (secret.Option.Description?.EndsWith(SecretNote, StringComparison.Ordinal) != true) secret.Option.Description += SecretNote;
        }
        var layered = LayeredSettings.Apply(root, args);
        if (layered.Errors.Count > 0)
        {
            foreach (var e in layered.Errors) await error.WriteLineAsync(e);
            await error.WriteLineAsync($"Run {program} --help for the options.");
            return 1;
        }
        var parse = layered.Parse(root, out var unreadable);
        if (parse is null)
        {
            await error.WriteLineAsync(unreadable);
            await error.WriteLineAsync($"Run {program} --help for the options.");
            return 1;
        }
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) await error.WriteLineAsync(layered.Explain(HideStraySecrets(e.Message, layered.Arguments, secrets)));
            await error.WriteLineAsync($"Run {program} --help for the options.");
            return 1;
        }
        if (parse.Action is not ParseErrorAction && parse.CommandResult.Command == root && !IsHelp(parse))
        {
            var env = environmentName ?? LayeredSettings.EnvironmentName();
            var refusals = CheckSecrets(parse, secrets, env, layered);
            if (refusals.Count > 0)
            {
                foreach (var r in refusals) await error.WriteLineAsync(r);
                return 1;
            }
        }
        return await parse.InvokeAsync(configuration, cancellationToken);
    }

    /// <summary>
    /// Outside Development: every secret must be set, and not to its development value. Returns one message per
    /// secret that is not; the messages name the option, never the value.
    /// </summary>
    public static List<string> CheckSecrets(ParseResult parse, IReadOnlyList<SecretOption> secrets, string environmentName, LayeredSettings? layered = null)
    {
        var refusals = new List<string>();
        if (LayeredSettings.IsDevelopment(environmentName)) return refusals;
        foreach (var (option, development, appliesWhen) in secrets)
        {
            if (appliesWhen is not null && !appliesWhen(parse)) continue;
            var values = ValuesOf(parse, option);
            string? problem = values.Count == 0 ? "is not set (the development default would be used)"
                : values.Any(string.IsNullOrEmpty) ? "is empty"
                : values.Any(v => v == development || v.EndsWith("=" + development, StringComparison.Ordinal)) ? "is the development default"
                : null;
            if (problem is null) continue;
            var where = layered?.SourceOf(option.Name) is { } s ? $" (set by {s})" : "";
            refusals.Add($"{option.Name} {problem}{where}, which is refused in the {environmentName} environment: set a secret of your own "
                + $"(--{option.Name.TrimStart('-')}, the environment variable {LayeredSettings.Section}__{LayeredSettings.SettingName(option.Name)} "
                + "or appsettings.json), or run with DOTNET_ENVIRONMENT=Development on a test machine.");
        }
        return refusals;
    }

    /// <summary>
    /// A token after a secret's value (<c>--key my secret</c>) is one the parser cannot place, and it names it: it is
    /// likely part of the secret, so the message says where it was instead.
    /// </summary>
    private static string HideStraySecrets(string message, string[] args, IReadOnlyList<SecretOption> secrets)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (secrets.FirstOrDefault(s => args[i] == s.Option.Name || args[i].StartsWith(s.Option.Name + "=", StringComparison.Ordinal)) is not { } secret) continue;
            string name = secret.Option.Name;
            for (int j = args[i] == name ? i + 2 : i + 1; j < args.Length && !args[j].StartsWith('-'); j++)
                message = message.Replace($"'{args[j]}'", $"(a word after the value of {name}, not shown: {name} takes one value each time)", StringComparison.Ordinal);
        }
        return message;
    }

    private static List<string> ValuesOf(ParseResult parse, Option option)
    {
        object? value = option switch
        {
            Option<string> s => parse.GetValue(s),
            Option<string[]> a => parse.GetValue(a),
            _ => null,
        };
        return value switch
        {
            string s => [s],
            string[] a => [.. a],
            _ => [],
        };
    }

    private static bool IsHelp(ParseResult parse) =>
        parse.Tokens.Any(t => t.Value is "--help" or "-h" or "-?" or "--version");
}
