namespace Maple.Evaluation.Protocols;

/// <summary>The figures of a benchmark: Base / Novel / HM (or accuracy) per dataset and method.</summary>
public static class BenchmarkPlots
{
    /// <summary>Writes one PNG per dataset (and the average) under <c>&lt;output&gt;/plots/&lt;protocol&gt;/</c>.</summary>
    public static void Write(BenchmarkReport report, string output)
    {
        var folder = Path.Combine(output, "plots", report.Protocol);
        var baseToNovel = report.Metrics.Contains("base");
        var datasets = report.Datasets.Count > 1 ? [BenchmarkReport.Average, .. report.Datasets] : report.Datasets.ToList();
        if (baseToNovel)
        {
            foreach (var dataset in datasets)
            {
                var values = report.Methods.Select(m => (IReadOnlyList<double>)
                    [report.Summary(m, dataset, "base").Mean, report.Summary(m, dataset, "novel").Mean, report.HarmonicMean(m, dataset)]).ToList();
                Plots.GroupedBars(Path.Combine(folder, $"{dataset}.png"), $"{report.Protocol}: {dataset}", ["Base", "Novel", "HM"], report.Methods, values, "accuracy (%)");
            }
            return;
        }
        var accuracy = report.Methods.Select(m => (IReadOnlyList<double>)datasets.Select(d => report.Summary(m, d, "accuracy").Mean).ToList()).ToList();
        Plots.GroupedBars(Path.Combine(folder, "accuracy.png"), report.Protocol, datasets, report.Methods, accuracy, "accuracy (%)");
    }
}
