using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maple.Clip.Safetensors;
using static TorchSharp.torch;

namespace Maple.Evaluation;

/// <summary>Writes an evaluation's results: JSON summary, confusion matrix as CSV and PNG, logits as safetensors.</summary>
public static class EvaluationReport
{
    /// <summary>
    /// Writes <paramref name="jsonPath"/> and, beside it, <c>&lt;name&gt;.confusion.csv</c> and
    /// <c>&lt;name&gt;.confusion.png</c>; <paramref name="context"/> (model, prompts, data, ...) is
    /// recorded in the JSON. Every file is written atomically. Returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> Write(string jsonPath, EvaluationResult result, IReadOnlyList<string> classNames, IReadOnlyDictionary<string, string> context)
    {
        var m = result.Metrics;
        var json = new JsonObject
        {
            ["accuracy"] = m.Accuracy,
            ["top5_accuracy"] = result.Top5Accuracy,
            ["macro_f1"] = m.MacroF1,
            ["count"] = m.Count,
            ["classes"] = new JsonArray(classNames.Select(n => (JsonNode)n!).ToArray()),
            ["per_class"] = new JsonArray(classNames.Select((name, c) => (JsonNode)new JsonObject
            {
                ["class"] = name,
                ["count"] = m.ClassCounts[c],
                ["accuracy"] = double.IsNaN(m.PerClassAccuracy[c]) ? null : m.PerClassAccuracy[c],
            }).ToArray()),
        };
        foreach (var (key, value) in context)
            json[key] = value;
        AtomicFile.WriteText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!, Path.GetFileNameWithoutExtension(jsonPath));
        var csvPath = stem + ".confusion.csv";
        AtomicFile.WriteText(csvPath, ConfusionCsv(m.Confusion, classNames));
        var pngPath = stem + ".confusion.png";
        Plots.ConfusionHeatmap(pngPath, m.Confusion, classNames, $"Confusion matrix (accuracy {100 * m.Accuracy:F2}%)");
        return [jsonPath, csvPath, pngPath];
    }

    /// <summary>Writes <c>logits</c> F32 [N, C] and <c>labels</c> I64 [N] in data order.</summary>
    public static void WriteLogits(string path, EvaluationResult result)
    {
        var (n, c) = (result.Logits.GetLength(0), result.Logits.GetLength(1));
        var flat = new float[n * c];
        Buffer.BlockCopy(result.Logits, 0, flat, 0, flat.Length * sizeof(float));
        using var logits = tensor(flat, [n, c]);
        using var labels = tensor(result.Labels.Select(l => (long)l).ToArray());
        SafetensorsWriter.Write(path, [KeyValuePair.Create("logits", logits), KeyValuePair.Create("labels", labels)]);
    }

    /// <summary>The confusion matrix as CSV: a header of predicted classes, one row per true class.</summary>
    public static string ConfusionCsv(int[,] confusion, IReadOnlyList<string> classNames)
    {
        static string Cell(string s) => s.Contains(',') || s.Contains('"') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
        var csv = new StringBuilder();
        csv.AppendLine("true \\ predicted," + string.Join(",", classNames.Select(Cell)));
        for (var t = 0; t < classNames.Count; t++)
            csv.AppendLine(Cell(classNames[t]) + "," + string.Join(",", Enumerable.Range(0, classNames.Count).Select(p => confusion[t, p].ToString(CultureInfo.InvariantCulture))));
        return csv.ToString();
    }
}
