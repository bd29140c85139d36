using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maple.Evaluation.Protocols;

namespace Maple.Demo;

/// <summary>One method's base-to-novel result: accuracies in percent and their harmonic mean.</summary>
/// <param name="Method">The method's name.</param>
/// <param name="Base">Accuracy on the base classes' test images (%).</param>
/// <param name="Novel">Accuracy on the novel classes' test images (%).</param>
public sealed record DemoRow(string Method, double Base, double Novel)
{
    /// <summary>The harmonic mean HM = 2·B·N / (B + N) (0 when both are 0).</summary>
    public double HarmonicMean => ScoreSummary.HarmonicMean(Base, Novel);
}

/// <summary>The demo's base-to-novel table, as in the MaPLe paper (Method, Base, Novel, HM).</summary>
/// <param name="Rows">One row per method.</param>
public sealed record DemoTable(IReadOnlyList<DemoRow> Rows)
{
    /// <summary>The column headers.</summary>
    public static IReadOnlyList<string> Columns { get; } = ["Method", "Base", "Novel", "HM"];

    /// <summary>The table in Markdown, accuracies with two decimals.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", Columns).Append(" |\n");
        text.Append("|---|---:|---:|---:|\n");
        foreach (var row in Rows)
            text.Append(string.Create(CultureInfo.InvariantCulture, $"| {row.Method} | {row.Base:F2} | {row.Novel:F2} | {row.HarmonicMean:F2} |\n"));
        return text.ToString();
    }

    /// <summary>The table as a JSON array of rows with <c>method</c>, <c>base</c>, <c>novel</c> and <c>hm</c>.</summary>
    public JsonArray ToJson() => new(Rows.Select(r => (JsonNode)new JsonObject
    {
        ["method"] = r.Method,
        ["base"] = Math.Round(r.Base, 4),
        ["novel"] = Math.Round(r.Novel, 4),
        ["hm"] = Math.Round(r.HarmonicMean, 4),
    }).ToArray());

    /// <summary>The JSON text of <see cref="ToJson"/>.</summary>
    public override string ToString() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
