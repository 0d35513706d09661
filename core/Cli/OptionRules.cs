using System.CommandLine;

namespace Davecast.Cli;

/// <summary>Validation of an option's value that is safe against values the parser could not convert.</summary>
public static class OptionRules
{
    /// <summary>
    /// Adds a rule on the option's value, wherever the value came from. <paramref name="rule"/> returns the error
    /// message (which names the option), or null. A value that does not convert to <typeparamref name="T"/> at all is
    /// left to the parser, whose own message names the option: reading it here would throw instead.
    /// </summary>
    public static Option<T> Rule<T>(this Option<T> option, Func<T, string?> rule)
    {
        option.Validators.Add(r =>
        {
            T value;
            try
            {
                value = r.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return;
            }
            if (rule(value) is { } error) r.AddError(error);
        });
        return option;
    }
}
