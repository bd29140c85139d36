using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maple.Evaluation.Ood;

/// <summary>Writes an OOD evaluation's results: a JSON summary, ROC curves and score histograms as PNG.</summary>
public static class OodReport
{
    /// <summary>
    /// Writes <paramref name="jsonPath"/> and, beside it, <c>&lt;name&gt;.roc.png</c> and <c>&lt;name&gt;.scores.png</c>;
    /// <paramref name="context"/> (model, prompts, ...) is recorded in the JSON. Every file is written
    /// atomically. Returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> Write(string jsonPath, OodEvaluationResult result, IReadOnlyDictionary<string, string> context)
    {
        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!, Path.GetFileNameWithoutExtension(jsonPath));
        var rocPath = stem + ".roc.png";
        var histogramPath = stem + ".scores.png";
        var scoreName = OodScores.Name(result.Options.Score);

        var json = ToJson(result);
        foreach (var (key, value) in context)
            json[key] = value;
        json["figures"] = new JsonObject { ["roc"] = Path.GetFileName(rocPath), ["scores"] = Path.GetFileName(histogramPath) };
        AtomicFile.WriteText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        OodPlots.RocCurves(rocPath, result, $"ROC, {scoreName} score, ID = {OodData.DisplayName(result.IdSource)}");
        OodPlots.ScoreHistograms(histogramPath, result, $"{scoreName} scores");
        return [jsonPath, rocPath, histogramPath];
    }

    /// <summary>The results as JSON: settings, the ID set, each OOD set's metrics and the average (fractions in [0, 1]).</summary>
    public static JsonObject ToJson(OodEvaluationResult result)
    {
        var options = result.Options;
        var settings = new JsonObject { ["name"] = OodScores.Name(options.Score) };
        if (options.Score != OodScore.MaxLogit)
            settings["temperature"] = options.Temperature;
        if (options.Score == OodScore.GlMcm)
            settings["lambda"] = options.Lambda;
        return new JsonObject
        {
            ["score"] = settings,
            ["convention"] = "higher score = more in-distribution; ID is the positive class; an image is called ID when its score is at or above the threshold",
            ["id"] = new JsonObject
            {
                ["source"] = result.IdSource,
                ["count"] = result.IdScores.Length,
                ["classes"] = result.IdClassNames.Count,
            },
            ["ood"] = new JsonArray(result.Sets.Select(s => (JsonNode)Metrics(s.Metrics, s.Name, s.Source)).ToArray()),
            ["average"] = Metrics(result.Average, null, null),
        };
    }

    static JsonObject Metrics(OodMetrics m, string? name, string? source)
    {
        var json = new JsonObject();
        if (name is not null)
        {
            json["name"] = name;
            json["source"] = source;
            json["count"] = m.OodCount;
        }
        json["auroc"] = m.Auroc;
        json["aupr"] = m.Aupr;
        json["fpr95"] = m.Fpr95;
        if (name is not null)
        {
            json["fpr95_threshold"] = m.Fpr95Threshold;
            json["tpr_at_threshold"] = m.Tpr95;
        }
        return json;
    }
}
