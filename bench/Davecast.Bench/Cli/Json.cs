using System.Text.Json;
using System.Text.Json.Serialization;

namespace Davecast.Bench.Cli;

/// <summary>How the bench's programs write and read their results (one "RESULT {json}" line each).</summary>
public static class Json
{
    public const string ResultPrefix = "RESULT ";

    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    public static JsonSerializerOptions Indented { get; } = new(Options) { WriteIndented = true };

    public static string Result<T>(T value) => ResultPrefix + JsonSerializer.Serialize(value, Options);

    public static T ParseResult<T>(string line) =>
        JsonSerializer.Deserialize<T>(line[(line.IndexOf(ResultPrefix, StringComparison.Ordinal) + ResultPrefix.Length)..], Options)
        ?? throw new InvalidDataException("empty result");
}
