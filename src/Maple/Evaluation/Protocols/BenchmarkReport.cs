using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Maple.Evaluation.Protocols;

/// <summary>
/// A protocol's finished cells summarised over seeds: Markdown in the paper's layout (for base-to-novel,
/// one table per dataset and the average, methods as rows, Base / Novel / HM, the published numbers
/// beside ours), CSV and JSON. HM is computed from the mean Base and Novel accuracies, as the papers do.
/// </summary>
public sealed class BenchmarkReport
{
    /// <summary>The name of the row that averages over datasets.</summary>
    public const string Average = "average";

    readonly IReadOnlyList<CellResult> _cells;

    /// <summary>Summarises the cells of one protocol.</summary>
    public BenchmarkReport(string protocol, IReadOnlyList<CellResult> cells)
    {
        Protocol = protocol;
        _cells = cells;
        Methods = cells.Select(c => c.Key.Method).Distinct().ToList();
        Datasets = cells.Select(c => c.Key.Dataset).Distinct().ToList();
        Metrics = cells.SelectMany(c => c.Scores.Keys).Distinct().ToList();
    }

    /// <summary>The protocol.</summary>
    public string Protocol { get; }

    /// <summary>Methods, in the order first seen.</summary>
    public IReadOnlyList<string> Methods { get; }

    /// <summary>Datasets, in the order first seen.</summary>
    public IReadOnlyList<string> Datasets { get; }

    /// <summary>Metric names (base, novel; or accuracy).</summary>
    public IReadOnlyList<string> Metrics { get; }

    bool IsBaseToNovel => Metrics.Contains("base") && Metrics.Contains("novel");

    /// <summary>Mean ± std over seeds of <paramref name="metric"/>; the average row averages the per-seed means over datasets.</summary>
    public ScoreSummary Summary(string method, string dataset, string metric, int? shots = null)
    {
        var cells = _cells.Where(c => c.Key.Method == method && (shots is null || c.Key.Shots == shots));
        if (dataset != Average)
            return ScoreSummary.Of(cells.Where(c => c.Key.Dataset == dataset && c.Scores.ContainsKey(metric)).Select(c => c.Scores[metric]).ToList());
        // Average over datasets per seed, then over seeds: only seeds that finished every dataset count.
        var perSeed = cells.Where(c => c.Scores.ContainsKey(metric)).GroupBy(c => c.Key.Seed)
            .Where(g => g.Select(c => c.Key.Dataset).Distinct().Count() == Datasets.Count)
            .Select(g => g.Average(c => c.Scores[metric])).ToList();
        return ScoreSummary.Of(perSeed);
    }

    /// <summary>The harmonic mean of the mean Base and Novel accuracies.</summary>
    public double HarmonicMean(string method, string dataset) =>
        ScoreSummary.HarmonicMean(Summary(method, dataset, "base").Mean, Summary(method, dataset, "novel").Mean);

    /// <summary>The report as Markdown.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder($"# {Protocol}\n\n");
        var shots = _cells.Select(c => c.Key.Shots).Distinct().Order().ToList();
        var seeds = _cells.Select(c => c.Key.Seed).Distinct().Order().ToList();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Accuracy in %, mean ± std over seeds {string.Join(", ", seeds)}; shots {string.Join(", ", shots)}.\n"));
        if (IsBaseToNovel)
        {
            foreach (var dataset in Datasets.Count > 1 ? [Average, .. Datasets] : Datasets)
            {
                md.AppendLine($"## {dataset}\n");
                md.AppendLine("| method | Base | Novel | HM | published Base / Novel / HM |");
                md.AppendLine("|---|---|---|---|---|");
                foreach (var method in Methods)
                {
                    md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {method} | {Summary(method, dataset, "base")} | {Summary(method, dataset, "novel")} | {HarmonicMean(method, dataset):F2} | {Published(method, dataset)} |"));
                }
                md.AppendLine();
            }
            return md.ToString();
        }

        foreach (var shot in shots)
        {
            if (shots.Count > 1)
                md.AppendLine($"## {shot} shots\n");
            var columns = Datasets.Count > 1 ? [.. Datasets, Average] : Datasets.ToList();
            md.AppendLine("| method | " + string.Join(" | ", columns) + " |");
            md.AppendLine("|---|" + string.Concat(columns.Select(_ => "---|")));
            foreach (var method in Methods)
                md.AppendLine($"| {method} | " + string.Join(" | ", columns.Select(d => Summary(method, d, "accuracy", shot).ToString())) + " |");
            md.AppendLine();
        }
        return md.ToString();
    }

    /// <summary>One row per method, dataset, shots and metric: mean, std, seeds.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder("protocol,method,dataset,shots,metric,mean,std,seeds\n");
        foreach (var row in Rows())
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{Protocol},{row.Method},{row.Dataset},{row.Shots},{row.Metric},{row.Summary.Mean:F4},{row.Summary.Std:F4},{row.Summary.Count}"));
        return csv.ToString();
    }

    /// <summary>The summary rows and every cell, as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        protocol = Protocol,
        summary = Rows().Select(r => new { method = r.Method, dataset = r.Dataset, shots = r.Shots, metric = r.Metric, mean = r.Summary.Mean, std = r.Summary.Std, seeds = r.Summary.Count }),
        cells = _cells.Select(c => new { method = c.Key.Method, dataset = c.Key.Dataset, seed = c.Key.Seed, shots = c.Key.Shots, scores = c.Scores }),
    }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });

    /// <summary>Writes <c>&lt;protocol&gt;.md</c>, <c>.csv</c> and <c>.json</c> into <paramref name="folder"/>; returns the paths.</summary>
    public IReadOnlyList<string> Write(string folder)
    {
        var paths = new[] { ".md", ".csv", ".json" }.Select(ext => Path.Combine(folder, Protocol + ext)).ToArray();
        AtomicFile.WriteText(paths[0], ToMarkdown());
        AtomicFile.WriteText(paths[1], ToCsv());
        AtomicFile.WriteText(paths[2], ToJson());
        return paths;
    }

    IEnumerable<(string Method, string Dataset, int Shots, string Metric, ScoreSummary Summary)> Rows()
    {
        var datasets = Datasets.Count > 1 ? [.. Datasets, Average] : Datasets.ToList();
        foreach (var shot in _cells.Select(c => c.Key.Shots).Distinct().Order())
            foreach (var method in Methods)
                foreach (var dataset in datasets)
                {
                    foreach (var metric in Metrics)
                        yield return (method, dataset, shot, metric, Summary(method, dataset, metric, shot));
                    if (IsBaseToNovel)
                        yield return (method, dataset, shot, "hm", new ScoreSummary(HarmonicMean(method, dataset), 0, Summary(method, dataset, "base", shot).Count));
                }
    }

    static string Published(string method, string dataset)
    {
        (double Base, double Novel, double Hm)? known = dataset == Average
            ? PublishedResults.Base2NovelAverage.TryGetValue(method, out var avg) ? avg : null
            : PublishedResults.Base2NovelPerDataset.TryGetValue((method, dataset.ToLowerInvariant()), out var ds) ? ds : null;
        return known is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p.Base:F2} / {p.Novel:F2} / {p.Hm:F2}") : "";
    }
}
