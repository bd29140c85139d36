using System.Text.Json.Nodes;

namespace Maple.Evaluation.Protocols;

/// <summary>What the benchmark reports share: their three files and the JSON of their cells.</summary>
static class ReportFiles
{
    /// <summary>Writes <c>&lt;name&gt;.md</c>, <c>.csv</c> and <c>.json</c> into <paramref name="folder"/> atomically; returns the paths.</summary>
    public static IReadOnlyList<string> Write(string folder, string name, string markdown, string csv, string json)
    {
        var paths = new[] { ".md", ".csv", ".json" }.Select(ext => Path.Combine(folder, name + ext)).ToArray();
        AtomicFile.WriteText(paths[0], markdown);
        AtomicFile.WriteText(paths[1], csv);
        AtomicFile.WriteText(paths[2], json);
        return paths;
    }

    /// <summary>A number, or null for NaN (JSON has no NaN).</summary>
    public static JsonNode? Number(double value) => double.IsNaN(value) ? null : JsonValue.Create(value);

    /// <summary>Every cell with its key, scores and note; <paramref name="extra"/> adds report-specific fields.</summary>
    public static JsonArray Cells(IEnumerable<CellResult> cells, Action<CellResult, JsonObject> extra)
    {
        var array = new JsonArray();
        foreach (var c in cells)
        {
            var cell = new JsonObject
            {
                ["method"] = c.Key.Method,
                ["seed"] = c.Key.Seed,
                ["shots"] = c.Key.Shots,
                ["scores"] = new JsonObject(c.Scores.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
                ["note"] = c.Note,
            };
            extra(c, cell);
            array.Add(cell);
        }
        return array;
    }
}
