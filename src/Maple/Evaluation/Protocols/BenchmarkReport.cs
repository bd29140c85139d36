using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maple.Evaluation.Protocols;

/// <summary>
/// A protocol's finished cells summarised over seeds: Markdown in the paper's layout, CSV and JSON. Base-to-novel
/// has one table per dataset and the average, methods as rows, Base / Novel / HM and the published numbers beside
/// ours (the published averages only when ours average the same datasets); HM is computed from the mean Base and
/// Novel accuracies, as the papers do. The accuracy protocols have
/// methods as rows and datasets as columns: the source dataset of a transfer protocol first, then the targets and
/// their average (the source is not part of it), published rows under ours where known. Several shot counts
/// (few-shot) are never mixed: each has its own table, average and rows.
/// </summary>
public sealed class BenchmarkReport
{
    /// <summary>The name of the row or column that averages over datasets.</summary>
    public const string Average = "average";

    readonly IReadOnlyList<CellResult> _cells;

    /// <summary>Summarises the cells of one protocol.</summary>
    /// <param name="protocol">The protocol's name (also the stem of the files written).</param>
    /// <param name="cells">Finished cells.</param>
    /// <param name="source">The dataset trained on by a transfer protocol: shown first and left out of the average.</param>
    /// <param name="notes">Lines on how the numbers were obtained (model, overridden settings), shown under the title.</param>
    public BenchmarkReport(string protocol, IReadOnlyList<CellResult> cells, string? source = null, IReadOnlyList<string>? notes = null)
    {
        if (cells.Count == 0)
            throw new ArgumentException("a report needs at least one finished cell", nameof(cells));
        Protocol = protocol;
        _cells = cells;
        Methods = cells.Select(c => c.Key.Method).Distinct().ToList();
        Datasets = cells.Select(c => c.Key.Dataset).Distinct().ToList();
        Metrics = cells.SelectMany(c => c.Scores.Keys).Distinct().ToList();
        Shots = cells.Select(c => c.Key.Shots).Distinct().Order().ToList();
        Seeds = cells.Select(c => c.Key.Seed).Distinct().Order().ToList();
        Source = source is not null && Datasets.Contains(source) ? source : null;
        Targets = Datasets.Where(d => d != Source).ToList();
        Notes = notes ?? [];
    }

    /// <summary>The protocol.</summary>
    public string Protocol { get; }

    /// <summary>Methods, in the order first seen.</summary>
    public IReadOnlyList<string> Methods { get; }

    /// <summary>Datasets, in the order first seen (the source first for the transfer protocols).</summary>
    public IReadOnlyList<string> Datasets { get; }

    /// <summary>The dataset a transfer protocol trained on, or null.</summary>
    public string? Source { get; }

    /// <summary>The datasets that <see cref="Average"/> averages: all but the source.</summary>
    public IReadOnlyList<string> Targets { get; }

    /// <summary>Metric names (base, novel; or accuracy).</summary>
    public IReadOnlyList<string> Metrics { get; }

    /// <summary>The shot counts of the cells, ascending.</summary>
    public IReadOnlyList<int> Shots { get; }

    /// <summary>The seeds of the cells, ascending.</summary>
    public IReadOnlyList<int> Seeds { get; }

    /// <summary>Lines on how the numbers were obtained.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Whether the cells score base and novel classes.</summary>
    public bool IsBaseToNovel => Metrics.Contains("base") && Metrics.Contains("novel");

    /// <summary>The columns of a table: the datasets, then <see cref="Average"/> when it averages more than one.</summary>
    public IReadOnlyList<string> Columns => Targets.Count > 1 ? [.. Datasets, Average] : Datasets;

    /// <summary>
    /// Mean ± std over seeds of <paramref name="metric"/> with <paramref name="shots"/> shots (which may be left out
    /// when the cells have one shot count); for <see cref="Average"/>, the mean over the targets is taken per seed,
    /// counting only the seeds that finished every target, then summarised over seeds.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="shots"/> is null but the cells have several shot counts.</exception>
    public ScoreSummary Summary(string method, string dataset, string metric, int? shots = null)
    {
        var k = ResolveShots(shots);
        var cells = _cells.Where(c => c.Key.Method == method && c.Key.Shots == k && c.Scores.ContainsKey(metric)).ToList();
        if (dataset != Average)
            return ScoreSummary.Of(cells.Where(c => c.Key.Dataset == dataset).Select(c => c.Scores[metric]).ToList());
        var perSeed = cells.Where(c => Targets.Contains(c.Key.Dataset)).GroupBy(c => c.Key.Seed)
            .Where(g => g.Select(c => c.Key.Dataset).Distinct().Count() == Targets.Count)
            .OrderBy(g => g.Key)
            .Select(g => g.Average(c => c.Scores[metric])).ToList();
        return ScoreSummary.Of(perSeed);
    }

    /// <summary>The harmonic mean of the mean Base and Novel accuracies (NaN when either is missing).</summary>
    public double HarmonicMean(string method, string dataset, int? shots = null) =>
        ScoreSummary.HarmonicMean(Summary(method, dataset, "base", shots).Mean, Summary(method, dataset, "novel", shots).Mean);

    /// <summary>The report as Markdown.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder($"# {Protocol}\n\n");
        foreach (var note in Notes)
            md.AppendLine($"- {note}");
        if (Notes.Count > 0)
            md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Accuracy in %, mean ± std over seeds {string.Join(", ", Seeds)}; {ShotsText(Shots)} per class."));
        if (IsBaseToNovel)
            md.AppendLine("HM = 2·B·N/(B+N) of the mean Base and Novel accuracies; published numbers: MaPLe paper, Table 1 (16 shots).");
        else if (Source is not null)
            md.AppendLine($"Trained on {Source} (the source); the average is over the targets. Published rows: MaPLe paper (16 shots).");
        md.AppendLine();

        foreach (var shot in Shots)
        {
            if (IsBaseToNovel)
                BaseToNovelTables(md, shot);
            else
                AccuracyTable(md, shot);
        }
        return md.ToString();
    }

    void BaseToNovelTables(StringBuilder md, int shot)
    {
        foreach (var dataset in Datasets.Count > 1 ? [Average, .. Datasets] : Datasets)
        {
            md.AppendLine(Shots.Count > 1 ? $"## {dataset}, {ShotsText([shot])}\n" : $"## {dataset}\n");
            md.AppendLine("| method | Base | Novel | HM | published Base / Novel / HM |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var method in Methods)
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {method} | {Summary(method, dataset, "base", shot)} | {Summary(method, dataset, "novel", shot)} | {Format(HarmonicMean(method, dataset, shot))} | {(shot == 16 ? PublishedBaseToNovel(method, dataset) : "")} |"));
            }
            md.AppendLine();
        }
    }

    void AccuracyTable(StringBuilder md, int shot)
    {
        if (Shots.Count > 1)
            md.AppendLine($"## {ShotsText([shot])}\n");
        var headers = Columns.Select(c => c == Source ? $"{c} (source)" : c == Average && Source is not null ? "average (targets)" : c);
        md.AppendLine("| method | " + string.Join(" | ", headers) + " |");
        md.AppendLine("|---|" + string.Concat(Columns.Select(_ => "---|")));
        foreach (var method in Methods)
            md.AppendLine($"| {method} | " + string.Join(" | ", Columns.Select(d => Summary(method, d, "accuracy", shot).ToString())) + " |");
        foreach (var method in Methods)
        {
            if (shot == 16 && PublishedResults.Accuracies(Protocol, method) is not null)
                md.AppendLine($"| {method}, published | " + string.Join(" | ", Columns.Select(d => Format(Published(method, d, "accuracy")))) + " |");
        }
        md.AppendLine();
    }

    /// <summary>One row per shots, method, dataset (and the average) and metric: mean, std, seeds; HM has no std.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder("protocol,method,dataset,shots,metric,mean,std,seeds\n");
        foreach (var row in Rows())
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{Protocol},{row.Method},{row.Dataset},{row.Shots},{row.Metric},{CsvNumber(row.Summary.Mean)},{CsvNumber(row.Summary.Std)},{row.Summary.Count}"));
        }
        return csv.ToString();
    }

    /// <summary>The settings, the summary rows (with the published value where known) and every cell, as JSON.</summary>
    public string ToJson()
    {
        var summary = new JsonArray();
        foreach (var row in Rows())
        {
            summary.Add(new JsonObject
            {
                ["method"] = row.Method,
                ["dataset"] = row.Dataset,
                ["shots"] = row.Shots,
                ["metric"] = row.Metric,
                ["mean"] = ReportFiles.Number(row.Summary.Mean),
                ["std"] = ReportFiles.Number(row.Summary.Std),
                ["seeds"] = row.Summary.Count,
                ["published"] = row.Shots == 16 ? ReportFiles.Number(Published(row.Method, row.Dataset, row.Metric)) : null,
            });
        }
        var cells = ReportFiles.Cells(_cells, (c, cell) => cell["dataset"] = c.Key.Dataset);
        var json = new JsonObject
        {
            ["protocol"] = Protocol,
            ["source"] = Source,
            ["notes"] = new JsonArray(Notes.Select(n => (JsonNode?)n).ToArray()),
            ["summary"] = summary,
            ["cells"] = cells,
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes <c>&lt;protocol&gt;.md</c>, <c>.csv</c> and <c>.json</c> into <paramref name="folder"/>; returns the paths.</summary>
    public IReadOnlyList<string> Write(string folder) => ReportFiles.Write(folder, Protocol, ToMarkdown(), ToCsv(), ToJson());

    IEnumerable<(string Method, string Dataset, int Shots, string Metric, ScoreSummary Summary)> Rows()
    {
        foreach (var shot in Shots)
            foreach (var method in Methods)
                foreach (var dataset in Columns)
                {
                    foreach (var metric in Metrics)
                        yield return (method, dataset, shot, metric, Summary(method, dataset, metric, shot));
                    if (IsBaseToNovel)
                        yield return (method, dataset, shot, "hm", new ScoreSummary(HarmonicMean(method, dataset, shot), double.NaN, Summary(method, dataset, "base", shot).Count));
                }
    }

    int ResolveShots(int? shots) => shots ?? (Shots.Count == 1
        ? Shots[0]
        : throw new ArgumentException($"{Protocol} has cells of {string.Join(", ", Shots)} shots: say which to summarise"));

    /// <summary>The paper's value where it is comparable: its averages only when ours average the same datasets.</summary>
    double Published(string method, string dataset, string metric)
    {
        if (IsBaseToNovel)
        {
            var known = PublishedBaseToNovelValues(method, dataset);
            return known is not { } p ? double.NaN : metric switch { "base" => p.Base, "novel" => p.Novel, "hm" => p.Hm, _ => double.NaN };
        }
        if (dataset == Average && !SameDatasets(Targets, Protocol == "domain-generalization" ? BenchmarkRunner.DomainTargets : BenchmarkRunner.TransferTargets))
            return double.NaN;
        return PublishedResults.Accuracies(Protocol, method) is { } row && row.TryGetValue(dataset, out var value) ? value : double.NaN;
    }

    (double Base, double Novel, double Hm)? PublishedBaseToNovelValues(string method, string dataset) => dataset == Average
        ? SameDatasets(Datasets, BenchmarkRunner.ElevenDatasets) && PublishedResults.Base2NovelAverage.TryGetValue(method, out var avg) ? avg : null
        : PublishedResults.Base2NovelPerDataset.TryGetValue((method, dataset), out var ds) ? ds : null;

    string PublishedBaseToNovel(string method, string dataset) =>
        PublishedBaseToNovelValues(method, dataset) is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p.Base:F2} / {p.Novel:F2} / {p.Hm:F2}") : "";

    static bool SameDatasets(IReadOnlyList<string> ours, IReadOnlyList<string> papers) =>
        ours.Count == papers.Count && ours.All(d => papers.Contains(d, StringComparer.OrdinalIgnoreCase));

    static string Format(double value) => double.IsNaN(value) ? "–" : value.ToString("F2", CultureInfo.InvariantCulture);

    static string CsvNumber(double value) => double.IsNaN(value) ? "" : value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>"1 shot", "16 shots", "1, 2 shots".</summary>
    internal static string ShotsText(IReadOnlyList<int> shots) =>
        string.Join(", ", shots.Select(k => k.ToString(CultureInfo.InvariantCulture))) + (shots is [1] ? " shot" : " shots");

}
