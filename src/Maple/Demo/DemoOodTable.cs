using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Maple.Demo;

/// <summary>One row of the demo's OOD table: a method with an OOD score, its AUROC and FPR95 in percent.</summary>
/// <param name="Method">The prompts ("Zero-shot CLIP" or "MaPLe").</param>
/// <param name="Score">The OOD score ("MCM" or "GL-MCM").</param>
/// <param name="Auroc">Area under the ROC curve, ID = positive (%; higher is better).</param>
/// <param name="Fpr95">OOD images accepted at 95% ID recall (%; lower is better).</param>
public sealed record DemoOodRow(string Method, string Score, double Auroc, double Fpr95);

/// <summary>
/// The demo's OOD table: ID = the base classes' test images (the classes MaPLe was trained on), OOD =
/// images of shapes that appear nowhere else in the demo (<see cref="DemoWorld.OodShapes"/>).
/// </summary>
/// <param name="Rows">One row per method and score.</param>
public sealed record DemoOodTable(IReadOnlyList<DemoOodRow> Rows)
{
    /// <summary>The column headers.</summary>
    public static IReadOnlyList<string> Columns { get; } = ["Method", "Score", "AUROC", "FPR95"];

    /// <summary>The table in Markdown, percentages with two decimals.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", Columns).Append(" |\n");
        text.Append("|---|---|---:|---:|\n");
        foreach (var row in Rows)
            text.Append(string.Create(CultureInfo.InvariantCulture, $"| {row.Method} | {row.Score} | {row.Auroc:F2} | {row.Fpr95:F2} |\n"));
        return text.ToString();
    }

    /// <summary>The table as a JSON array of rows with <c>method</c>, <c>score</c>, <c>auroc</c> and <c>fpr95</c>.</summary>
    public JsonArray ToJson() => new(Rows.Select(r => (JsonNode)new JsonObject
    {
        ["method"] = r.Method,
        ["score"] = r.Score,
        ["auroc"] = Math.Round(r.Auroc, 4),
        ["fpr95"] = Math.Round(r.Fpr95, 4),
    }).ToArray());
}
