namespace Maple.Evaluation.Protocols;

/// <summary>
/// The figures of a benchmark, under <c>&lt;output&gt;/plots/&lt;protocol&gt;/</c>: Base / Novel / HM per dataset and
/// method; accuracy per dataset and method, one figure per shot count, and accuracy against shots when there are
/// several; for OOD, each metric per OOD set and method. (Training curves are drawn beside each training run.)
/// </summary>
public static class BenchmarkPlots
{
    /// <summary>Writes the figures of an accuracy or base-to-novel report; returns their paths.</summary>
    public static IReadOnlyList<string> Write(BenchmarkReport report, string output)
    {
        var folder = Path.Combine(output, "plots", report.Protocol);
        var written = new List<string>();
        var datasets = report.Datasets.Count > 1 ? [BenchmarkReport.Average, .. report.Datasets] : report.Datasets.ToList();
        foreach (var shot in report.Shots)
        {
            var suffix = report.Shots.Count > 1 ? $"-{shot}shots" : "";
            var shotsTitle = report.Shots.Count > 1 ? $", {BenchmarkReport.ShotsText([shot])}" : "";
            if (report.IsBaseToNovel)
            {
                foreach (var dataset in datasets)
                {
                    var values = report.Methods.Select(m => (IReadOnlyList<double>)
                        [report.Summary(m, dataset, "base", shot).Mean, report.Summary(m, dataset, "novel", shot).Mean, report.HarmonicMean(m, dataset, shot)]).ToList();
                    var path = Path.Combine(folder, $"{dataset}{suffix}.png");
                    Plots.GroupedBars(path, $"{report.Protocol}: {dataset}{shotsTitle}", ["Base", "Novel", "HM"], report.Methods, values, "accuracy (%)");
                    written.Add(path);
                }
                continue;
            }
            var columns = report.Columns;
            var accuracy = report.Methods.Select(m => (IReadOnlyList<double>)columns.Select(d => report.Summary(m, d, "accuracy", shot).Mean).ToList()).ToList();
            var accuracyPath = Path.Combine(folder, $"accuracy{suffix}.png");
            Plots.GroupedBars(accuracyPath, $"{report.Protocol}{shotsTitle}", columns, report.Methods, accuracy, "accuracy (%)");
            written.Add(accuracyPath);
        }

        if (!report.IsBaseToNovel && report.Shots.Count > 1)
        {
            // The few-shot figure of the papers: accuracy against K, one line per method.
            var shotLabels = report.Shots.Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            foreach (var dataset in report.Columns)
            {
                var values = report.Methods.Select(m => (IReadOnlyList<double>)report.Shots.Select(k => report.Summary(m, dataset, "accuracy", k).Mean).ToList()).ToList();
                var path = Path.Combine(folder, $"shots-{dataset}.png");
                Plots.Lines(path, $"{report.Protocol}: {dataset}", shotLabels, report.Methods, values, "training images per class", "accuracy (%)");
                written.Add(path);
            }
        }
        return written;
    }

    /// <summary>Writes one figure per metric (and shot count) of an OOD report: the metric per OOD set and the average, per method.</summary>
    public static IReadOnlyList<string> Write(OodBenchmarkReport report, string output)
    {
        var folder = Path.Combine(output, "plots", report.Protocol);
        var written = new List<string>();
        var groups = report.Columns;
        foreach (var shot in report.Shots)
        {
            var suffix = report.Shots.Count > 1 ? $"-{shot}shots" : "";
            foreach (var metric in OodBenchmarkReport.MetricNames)
            {
                var values = report.Methods.Select(m => (IReadOnlyList<double>)groups.Select(g => report.Summary(m, g, metric, shot).Mean).ToList()).ToList();
                var path = Path.Combine(folder, $"{metric}{suffix}.png");
                Plots.GroupedBars(path, $"{report.Protocol}: {OodBenchmarkReport.Title(metric)}, ID = {report.IdDataset}, {BenchmarkReport.ShotsText([shot])}",
                    groups, report.Methods, values, $"{OodBenchmarkReport.Title(metric)} (%)");
                written.Add(path);
            }
        }
        return written;
    }
}
