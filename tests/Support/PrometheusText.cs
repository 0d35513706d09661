using System.Globalization;
using System.Text;

namespace Davecast.Tests.Support;

/// <summary>
/// A small reader of the Prometheus text exposition format (version 0.0.4): one sample per line,
/// <c>name{label="value",...} value [timestamp]</c>; comments and blank lines are skipped.
/// </summary>
public sealed class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public PrometheusText(IReadOnlyList<Sample> samples) => Samples = samples;

    public IReadOnlyList<Sample> Samples { get; }

    /// <summary>GETs <paramref name="url"/> (no credentials) and parses it.</summary>
    public static async Task<PrometheusText> ScrapeAsync(string url, CancellationToken cancel = default)
    {
        using var response = await Http.GetAsync(url, cancel);
        var body = await response.Content.ReadAsStringAsync(cancel);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url}: {(int)response.StatusCode}\n{body}");
        return Parse(body);
    }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<Sample>();
        int number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            samples.Add(ParseLine(line) ?? throw new FormatException($"line {number} is not a sample: {line}"));
        }
        return new PrometheusText(samples);
    }

    private static Sample? ParseLine(string line)
    {
        int i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':')) i++;
        if (i == 0) return null;
        string name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                while (i < line.Length && line[i] is ' ' or ',') i++;
                if (i < line.Length && line[i] == '}')
                {
                    i++;
                    break;
                }
                int eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"') return null;
                string label = line[i..eq].Trim();
                var value = new StringBuilder();
                for (i = eq + 2; i < line.Length && line[i] != '"'; i++)
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        value.Append(line[i] == 'n' ? '\n' : line[i]);
                    }
                    else value.Append(line[i]);
                }
                if (i >= line.Length) return null;
                i++;
                labels[label] = value.ToString();
            }
        }
        var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2) return null;
        double v = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN,
        };
        return new Sample(name, labels, v);
    }

    /// <summary>Samples of the metric <paramref name="name"/> whose labels include every given pair.</summary>
    public IEnumerable<Sample> Find(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value));

    /// <summary>The sum of the matching samples; throws if there is none (the metric must exist).</summary>
    public double Sum(string name, params (string Label, string Value)[] labels)
    {
        var found = Find(name, labels).ToList();
        if (found.Count == 0)
            throw new InvalidOperationException($"no sample {name}{{{string.Join(",", labels.Select(l => $"{l.Label}=\"{l.Value}\""))}}} among: "
                + string.Join(", ", Samples.Select(s => s.Name).Distinct()));
        return found.Sum(s => s.Value);
    }
}
