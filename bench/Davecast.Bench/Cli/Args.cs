using System.Globalization;

namespace Davecast.Bench.Cli;

/// <summary>
/// "--name value" and "--flag" arguments. Every option a command reads is marked used; <see cref="Finish"/> refuses
/// any other, so that a typo does not silently measure something else.
/// </summary>
public sealed class Args
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Args(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{a}'");
            string value;
            int equals = a.IndexOf('=');
            if (equals > 0)
            {
                // --name=value, for values that start with "--" themselves (--relay-args="--batch-ms 200").
                value = a[(equals + 1)..];
                a = a[..equals];
            }
            else
            {
                value = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal) ? list[++i] : "true";
            }
            if (!_values.TryGetValue(a, out var values)) _values[a] = values = [];
            values.Add(value);
        }
    }

    public bool Has(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    public string String(string name, string fallback) => All(name) is [.., var last] ? last : fallback;

    public string? Optional(string name) => All(name) is [.., var last] ? last : null;

    public IReadOnlyList<string> All(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : [];
    }

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var text = Optional(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new ArgumentException($"{name} must be an integer from {min} to {max}, not '{text}'");
        return v;
    }

    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        var text = Optional(name);
        if (text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < min || v > max)
            throw new ArgumentException($"{name} must be a number from {min} to {max}, not '{text}'");
        return v;
    }

    public IReadOnlyList<int> Ints(string name, IReadOnlyList<int> fallback, int min = 1, int max = int.MaxValue)
    {
        var text = Optional(name);
        if (text is null) return fallback;
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
                throw new ArgumentException($"{name} must be a comma-separated list of integers from {min} to {max}, not '{text}'");
            list.Add(v);
        }
        return list;
    }

    public bool Flag(string name) => Optional(name) is { } v && v != "false";

    /// <summary>Throws if an option was given that no one read.</summary>
    public void Finish()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown)}");
    }
}
