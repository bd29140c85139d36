using Maple.Evaluation.Protocols;

namespace Maple.Tests.Protocols;

/// <summary>Summaries and tables of hand-made cells, whose expected numbers are worked out here.</summary>
public sealed class BenchmarkReportTests
{
    static CellResult Cell(string protocol, string method, string dataset, int seed, int shots, params (string Metric, double Value)[] scores) =>
        new(new CellKey(protocol, method, dataset, seed, shots), scores.ToDictionary(s => s.Metric, s => s.Value));

    [Fact]
    public void HarmonicMeanIsTakenOfTheMeansNotAveragedOverSeeds()
    {
        var report = new BenchmarkReport("base2novel",
        [
            Cell("base2novel", "maple", "EuroSAT", 1, 16, ("base", 90), ("novel", 30)),
            Cell("base2novel", "maple", "EuroSAT", 2, 16, ("base", 70), ("novel", 70)),
        ]);
        Assert.Equal(new ScoreSummary(80, Math.Sqrt(200), 2), report.Summary("maple", "EuroSAT", "base"));
        Assert.Equal(2 * 80 * 50 / 130.0, report.HarmonicMean("maple", "EuroSAT"), 12); // not (45 + 70) / 2
        Assert.Contains("| maple | 80.00 ± 14.14 | 50.00 ± 28.28 | 61.54 |", report.ToMarkdown());
        var hm = report.ToCsv().Split('\n').Single(l => l.Contains(",hm,"));
        Assert.Equal("base2novel,maple,EuroSAT,16,hm,61.5385,,2", hm); // HM has no std over seeds
    }

    [Fact]
    public void TheTransferAverageLeavesTheSourceOutAndCountsOnlyCompleteSeeds()
    {
        var report = new BenchmarkReport("cross-dataset",
        [
            Cell(BenchmarkRunner.TransferSourceProtocol, "coop", "ImageNet", 1, 16, ("accuracy", 70)),
            Cell("cross-dataset", "coop", "EuroSAT", 1, 16, ("accuracy", 40)),
            Cell("cross-dataset", "coop", "Caltech101", 1, 16, ("accuracy", 90)),
            Cell("cross-dataset", "coop", "EuroSAT", 2, 16, ("accuracy", 50)), // seed 2 lacks Caltech101
        ], source: "ImageNet");
        Assert.Equal(["EuroSAT", "Caltech101"], report.Targets);
        Assert.Equal(new ScoreSummary(65, 0, 1), report.Summary("coop", BenchmarkReport.Average, "accuracy"));
        Assert.Equal(45, report.Summary("coop", "EuroSAT", "accuracy").Mean);
        var markdown = report.ToMarkdown();
        Assert.Contains("| method | ImageNet (source) | EuroSAT | Caltech101 | average (targets) |", markdown);
        // The paper's per-dataset numbers sit under ours; its ten-target average does not fit a two-target one.
        Assert.Contains("| coop, published | 71.51 | 46.39 | 93.70 | – |", markdown);
    }

    [Fact]
    public void SeveralShotCountsAreNeverMixed()
    {
        var report = new BenchmarkReport("few-shot",
        [
            Cell("few-shot", "maple", "EuroSAT", 1, 1, ("accuracy", 10)),
            Cell("few-shot", "maple", "DTD", 1, 1, ("accuracy", 20)),
            Cell("few-shot", "maple", "EuroSAT", 1, 16, ("accuracy", 80)),
            Cell("few-shot", "maple", "DTD", 1, 16, ("accuracy", 90)),
        ]);
        Assert.Throws<ArgumentException>(() => report.Summary("maple", BenchmarkReport.Average, "accuracy"));
        Assert.Equal(15, report.Summary("maple", BenchmarkReport.Average, "accuracy", 1).Mean);
        Assert.Equal(85, report.Summary("maple", BenchmarkReport.Average, "accuracy", 16).Mean);
        var markdown = report.ToMarkdown();
        Assert.Contains("## 1 shot\n\n| method | EuroSAT | DTD | average |\n|---|---|---|---|\n| maple | 10.00 | 20.00 | 15.00 |", markdown);
        Assert.Contains("## 16 shots\n\n| method | EuroSAT | DTD | average |\n|---|---|---|---|\n| maple | 80.00 | 90.00 | 85.00 |", markdown);
    }

    [Fact]
    public void OodSummariesAreInPercentPerSetAndAverage()
    {
        CellResult Ood(int seed, double auroc) => Cell("ood-mcm", "maple", "ImageNet", seed, 16,
            ("iNaturalist/auroc", auroc), ("iNaturalist/fpr95", 100 - auroc), ("iNaturalist/aupr", auroc),
            ("average/auroc", auroc), ("average/fpr95", 100 - auroc), ("average/aupr", auroc));
        var report = new OodBenchmarkReport("ood-mcm", "ImageNet", ["iNaturalist"], [Ood(1, 90), Ood(2, 94)]);
        Assert.Equal(new ScoreSummary(92, Math.Sqrt(8), 2), report.Summary("maple", "iNaturalist", "auroc"));
        Assert.Contains("| maple | 8.00 ± 2.83 | 92.00 ± 2.83 | 8.00 ± 2.83 | 92.00 ± 2.83 |", report.ToMarkdown());
        Assert.Contains("ood-mcm,ImageNet,maple,16,average,auroc,92.0000,2.8284,2", report.ToCsv());
    }
}
