using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maple.Bench;

/// <summary>How measurements travel from a child to the parent, and into results.json.</summary>
public static class ResultJson
{
    /// <summary>The prefix of a result line on a child's standard output.</summary>
    public const string LinePrefix = "RESULT ";

    /// <summary>camelCase, enums by name, NaN allowed (a failed figure).</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = false,
    };

    /// <summary>The result line for one measurement.</summary>
    public static string Line(Measurement measurement) => LinePrefix + JsonSerializer.Serialize(measurement, Options);

    /// <summary>The measurement on a result line, or null for any other line.</summary>
    public static Measurement? Parse(string line) =>
        line.StartsWith(LinePrefix, StringComparison.Ordinal)
            ? JsonSerializer.Deserialize<Measurement>(line[LinePrefix.Length..], Options)
            : null;
}
