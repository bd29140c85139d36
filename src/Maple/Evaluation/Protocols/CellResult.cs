using System.Text.Json;

namespace Maple.Evaluation.Protocols;

/// <summary>The accuracies (in percent) of one finished cell, e.g. <c>base</c> and <c>novel</c>, or <c>accuracy</c>.</summary>
/// <param name="Key">The cell.</param>
/// <param name="Scores">Metric name → accuracy in percent.</param>
public sealed record CellResult(CellKey Key, IReadOnlyDictionary<string, double> Scores)
{
    const string FileName = "result.json";

    /// <summary>Writes the result into the cell's folder (atomically: a cell is finished once this file exists).</summary>
    public void Save(string benchmarkFolder) =>
        AtomicFile.WriteText(Path.Combine(benchmarkFolder, Key.RelativeFolder, FileName),
            JsonSerializer.Serialize(new { Key.Protocol, Key.Method, Key.Dataset, Key.Seed, Key.Shots, Scores }, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The saved result of <paramref name="key"/>, or null when the cell has not finished.</summary>
    public static CellResult? TryLoad(string benchmarkFolder, CellKey key)
    {
        var path = Path.Combine(benchmarkFolder, key.RelativeFolder, FileName);
        if (!File.Exists(path))
            return null;
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var scores = json.RootElement.GetProperty("Scores").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        return new CellResult(key, scores);
    }
}
