using System.Text.Json;

namespace Maple.Evaluation.Protocols;

/// <summary>The scores (in percent) of one finished cell, e.g. <c>base</c> and <c>novel</c>, <c>accuracy</c>, or OOD metrics.</summary>
/// <param name="Key">The cell.</param>
/// <param name="Scores">Metric name → value in percent.</param>
public sealed record CellResult(CellKey Key, IReadOnlyDictionary<string, double> Scores)
{
    const string FileName = "result.json";

    /// <summary>
    /// What produced the scores (the effective prompt shape, training recipe, backbone, evaluation settings), so
    /// that a rerun with other settings cannot silently reuse the cell.
    /// </summary>
    public IReadOnlyDictionary<string, string> Recipe { get; init; } = new Dictionary<string, string>();

    /// <summary>A remark on how the scores were obtained (e.g. copied from an identical zero-shot cell), or null.</summary>
    public string? Note { get; init; }

    /// <summary>The result file of <paramref name="key"/> under a benchmark's folder.</summary>
    public static string PathFor(string benchmarkFolder, CellKey key) => Path.Combine(benchmarkFolder, key.RelativeFolder, FileName);

    /// <summary>Writes the result into the cell's folder (atomically: a cell is finished once this file exists).</summary>
    public void Save(string benchmarkFolder) =>
        AtomicFile.WriteText(PathFor(benchmarkFolder, Key),
            JsonSerializer.Serialize(new { Key.Protocol, Key.Method, Key.Dataset, Key.Seed, Key.Shots, Scores, Recipe, Note }, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The saved result of <paramref name="key"/>, or null when the cell has not finished.</summary>
    public static CellResult? TryLoad(string benchmarkFolder, CellKey key)
    {
        var path = PathFor(benchmarkFolder, key);
        if (!File.Exists(path))
            return null;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            var scores = root.GetProperty("Scores").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            var recipe = root.TryGetProperty("Recipe", out var r) && r.ValueKind == JsonValueKind.Object
                ? r.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                : [];
            var note = root.TryGetProperty("Note", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            return new CellResult(key, scores) { Recipe = recipe, Note = note };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed cell result ({e.Message}); delete it to redo the cell", e);
        }
    }
}
