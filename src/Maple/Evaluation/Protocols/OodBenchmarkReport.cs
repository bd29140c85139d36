using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maple.Evaluation.Protocols;

/// <summary>
/// An OOD benchmark's finished cells summarised over seeds, in the layout of the OOD papers (MCM, GL-MCM, LoCoOp):
/// methods as rows, FPR95 ↓ and AUROC ↑ for each OOD set and their average, then AUPR ↑ in a second table; all in
/// percent, mean ± std over seeds, one set of tables per shot count. Markdown, CSV and JSON.
/// </summary>
public sealed class OodBenchmarkReport
{
    /// <summary>The name of the column that averages over the OOD sets (each cell's own average, summarised over seeds).</summary>
    public const string Average = "average";

    /// <summary>The metrics, in table order.</summary>
    public static readonly IReadOnlyList<string> MetricNames = ["fpr95", "auroc", "aupr"];

    readonly IReadOnlyList<CellResult> _cells;

    /// <summary>Summarises the cells of one OOD benchmark.</summary>
    /// <param name="protocol">The protocol's name, <c>ood-&lt;score&gt;</c> (also the stem of the files written).</param>
    /// <param name="idDataset">The in-distribution dataset.</param>
    /// <param name="oodSets">The OOD sets, in the order given.</param>
    /// <param name="cells">Finished cells; their scores are named <see cref="ScoreName"/>.</param>
    /// <param name="notes">Lines on how the numbers were obtained, shown under the title.</param>
    public OodBenchmarkReport(string protocol, string idDataset, IReadOnlyList<string> oodSets, IReadOnlyList<CellResult> cells, IReadOnlyList<string>? notes = null)
    {
        if (cells.Count == 0)
            throw new ArgumentException("a report needs at least one finished cell", nameof(cells));
        Protocol = protocol;
        IdDataset = idDataset;
        OodSets = oodSets;
        _cells = cells;
        Methods = cells.Select(c => c.Key.Method).Distinct().ToList();
        Shots = cells.Select(c => c.Key.Shots).Distinct().Order().ToList();
        Seeds = cells.Select(c => c.Key.Seed).Distinct().Order().ToList();
        Notes = notes ?? [];
    }

    /// <summary>The protocol.</summary>
    public string Protocol { get; }

    /// <summary>The in-distribution dataset.</summary>
    public string IdDataset { get; }

    /// <summary>The OOD sets.</summary>
    public IReadOnlyList<string> OodSets { get; }

    /// <summary>The OOD sets and <see cref="Average"/>.</summary>
    public IReadOnlyList<string> Columns => [.. OodSets, Average];

    /// <summary>Methods, in the order first seen.</summary>
    public IReadOnlyList<string> Methods { get; }

    /// <summary>The shot counts of the cells, ascending.</summary>
    public IReadOnlyList<int> Shots { get; }

    /// <summary>The seeds of the cells, ascending.</summary>
    public IReadOnlyList<int> Seeds { get; }

    /// <summary>Lines on how the numbers were obtained.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The key of a metric of an OOD set (or of <see cref="Average"/>) in a cell's scores, e.g. <c>Textures/auroc</c>.</summary>
    public static string ScoreName(string set, string metric) => $"{set}/{metric}";

    /// <summary>How a metric is written in tables: FPR95 ↓, AUROC ↑, AUPR ↑.</summary>
    public static string Title(string metric) => metric switch
    {
        "fpr95" => "FPR95 ↓",
        "auroc" => "AUROC ↑",
        "aupr" => "AUPR ↑",
        _ => metric,
    };

    /// <summary>Mean ± std over seeds of <paramref name="metric"/> (in %) on OOD set <paramref name="set"/> (or the average) with <paramref name="shots"/> shots.</summary>
    /// <exception cref="ArgumentException"><paramref name="shots"/> is null but the cells have several shot counts.</exception>
    public ScoreSummary Summary(string method, string set, string metric, int? shots = null)
    {
        var k = shots ?? (Shots.Count == 1 ? Shots[0] : throw new ArgumentException($"{Protocol} has cells of {string.Join(", ", Shots)} shots: say which to summarise"));
        var key = ScoreName(set, metric);
        return ScoreSummary.Of(_cells.Where(c => c.Key.Method == method && c.Key.Shots == k && c.Scores.ContainsKey(key))
            .OrderBy(c => c.Key.Seed).Select(c => c.Scores[key]).ToList());
    }

    /// <summary>The report as Markdown.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder($"# {Protocol}\n\n");
        foreach (var note in Notes)
            md.AppendLine($"- {note}");
        if (Notes.Count > 0)
            md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"ID: {IdDataset}; OOD: {string.Join(", ", OodSets)}. In %, mean ± std over seeds {string.Join(", ", Seeds)}; {BenchmarkReport.ShotsText(Shots)} per class."));
        md.AppendLine("ID images are the positives; FPR95 is the fraction of OOD images called ID at 95% ID recall.\n");
        foreach (var shot in Shots)
        {
            var title = Shots.Count > 1 ? $", {BenchmarkReport.ShotsText([shot])}" : "";
            md.AppendLine($"## FPR95 and AUROC{title}\n");
            Table(md, shot, ["fpr95", "auroc"]);
            md.AppendLine($"## AUPR{title}\n");
            Table(md, shot, ["aupr"]);
        }
        return md.ToString();
    }

    void Table(StringBuilder md, int shot, IReadOnlyList<string> metrics)
    {
        var headers = Columns.SelectMany(set => metrics.Select(m => metrics.Count > 1 ? $"{set} {Title(m)}" : set)).ToList();
        md.AppendLine("| method | " + string.Join(" | ", headers) + " |");
        md.AppendLine("|---|" + string.Concat(headers.Select(_ => "---|")));
        foreach (var method in Methods)
            md.AppendLine($"| {method} | " + string.Join(" | ", Columns.SelectMany(set => metrics.Select(m => Summary(method, set, m, shot).ToString()))) + " |");
        md.AppendLine();
    }

    /// <summary>One row per shots, method, OOD set (and the average) and metric: mean, std (in %), seeds.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder("protocol,id,method,shots,ood,metric,mean,std,seeds\n");
        foreach (var row in Rows())
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{Protocol},{IdDataset},{row.Method},{row.Shots},{row.Set},{row.Metric},{row.Summary.Mean:F4},{row.Summary.Std:F4},{row.Summary.Count}"));
        }
        return csv.ToString();
    }

    /// <summary>The settings, the summary rows and every cell, as JSON.</summary>
    public string ToJson()
    {
        var summary = new JsonArray();
        foreach (var row in Rows())
        {
            summary.Add(new JsonObject
            {
                ["method"] = row.Method,
                ["shots"] = row.Shots,
                ["ood"] = row.Set,
                ["metric"] = row.Metric,
                ["mean"] = ReportFiles.Number(row.Summary.Mean),
                ["std"] = ReportFiles.Number(row.Summary.Std),
                ["seeds"] = row.Summary.Count,
            });
        }
        var cells = ReportFiles.Cells(_cells, (c, cell) => cell["folder"] = c.Key.RelativeFolder.Replace('\\', '/'));
        return new JsonObject
        {
            ["protocol"] = Protocol,
            ["id"] = IdDataset,
            ["ood"] = new JsonArray(OodSets.Select(s => (JsonNode?)s).ToArray()),
            ["units"] = "percent; ID is the positive class",
            ["notes"] = new JsonArray(Notes.Select(n => (JsonNode?)n).ToArray()),
            ["summary"] = summary,
            ["cells"] = cells,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes <c>&lt;protocol&gt;.md</c>, <c>.csv</c> and <c>.json</c> into <paramref name="folder"/>; returns the paths.</summary>
    public IReadOnlyList<string> Write(string folder) => ReportFiles.Write(folder, Protocol, ToMarkdown(), ToCsv(), ToJson());

    IEnumerable<(string Method, int Shots, string Set, string Metric, ScoreSummary Summary)> Rows()
    {
        foreach (var shot in Shots)
            foreach (var method in Methods)
                foreach (var set in Columns)
                    foreach (var metric in MetricNames)
                        yield return (method, shot, set, metric, Summary(method, set, metric, shot));
    }

}
