using System.Text.Json.Nodes;
using Maple.Demo;

namespace Maple.Tests.Demo;

public sealed class DemoSummaryTests
{
    // Three seeds: zero-shot is the same on each; CoOp's base accuracy falls below zero-shot's on seed 3.
    static readonly DemoSummary Summary = new(
    [
        Seed(1, coopBase: 50, coopNovel: 30, mapleBase: 60, mapleNovel: 55, mapleAuroc: 55),
        Seed(2, coopBase: 56, coopNovel: 36, mapleBase: 64, mapleNovel: 49, mapleAuroc: 57),
        Seed(3, coopBase: 39, coopNovel: 33, mapleBase: 62, mapleNovel: 52, mapleAuroc: 60),
    ]);

    static DemoSeedResult Seed(long seed, double coopBase, double coopNovel, double mapleBase, double mapleNovel, double mapleAuroc) => new(seed,
        new DemoTable([new DemoRow("Zero-shot CLIP", 40, 50), new DemoRow("CoOp", coopBase, coopNovel), new DemoRow("MaPLe", mapleBase, mapleNovel)]),
        new DemoOodTable([new DemoOodRow("Zero-shot CLIP", "MCM", 52, 90), new DemoOodRow("MaPLe", "MCM", mapleAuroc, 80)]));

    [Fact]
    public void MeanAndSampleStdOverSeedsAsComputedByHand()
    {
        var rows = Summary.Rows;
        Assert.Equal(["Zero-shot CLIP", "CoOp", "MaPLe"], rows.Select(r => r.Method));
        // Zero-shot: the same on every seed, so no spread.
        Assert.Equal(40, rows[0].Base.Mean, 10);
        Assert.Equal(0, rows[0].Base.Std, 10);
        Assert.Equal(2 * 40.0 * 50 / 90, rows[0].HarmonicMean, 10);
        // CoOp base 50, 56, 39: mean 48.333, sample std sqrt(((5/3)² + (23/3)² + (28/3)²) / 2) = 8.62168.
        Assert.Equal(145.0 / 3, rows[1].Base.Mean, 10);
        Assert.Equal(8.621678104251709, rows[1].Base.Std, 10);
        // CoOp novel 30, 36, 33: mean 33, std 3.
        Assert.Equal(33, rows[1].Novel.Mean, 10);
        Assert.Equal(3, rows[1].Novel.Std, 10);
        Assert.Equal(3, rows[1].Base.Count);
        // MaPLe: HM of the means 2·62·52/114 (as the papers); ± the std of the per-seed HMs 57.391, 55.504, 56.561.
        Assert.Equal(2 * 62.0 * 52 / 114, rows[2].HarmonicMean, 10);
        Assert.Equal(0.9457143637231051, rows[2].SeedHarmonicMeans.Std, 10);
        Assert.Equal("56.56 ± 0.95", DemoSummary.HarmonicMeanText(rows[2]));

        var ood = Summary.OodRows;
        Assert.Equal([("Zero-shot CLIP", "MCM"), ("MaPLe", "MCM")], ood.Select(r => (r.Method, r.Score)));
        Assert.Equal(172.0 / 3, ood[1].Auroc.Mean, 10);
        Assert.Equal(2.516611478423583, ood[1].Auroc.Std, 10);
        Assert.Equal(80, ood[1].Fpr95.Mean, 10);
    }

    [Fact]
    public void ThePatternIsCheckedOnTheMeanAndOnEverySeed()
    {
        // Mean: CoOp base 48.33 > 40; MaPLe HM 56.56 > zero-shot 44.44 and CoOp 39.22. Seed 3: CoOp base 39 < 40.
        Assert.True(Summary.PatternHoldsOnMean);
        Assert.Equal([3L], Summary.SeedsBreakingPattern);
        Assert.Contains("holds on the mean, not on seed 3", Summary.PatternText());

        var bad = new DemoSummary([Summary.Seeds[2], Seed(4, coopBase: 30, coopNovel: 30, mapleBase: 60, mapleNovel: 55, mapleAuroc: 55)]);
        Assert.Equal([3L, 4L], bad.SeedsBreakingPattern);
        Assert.Contains("does not hold on the mean nor on seeds 3, 4", bad.PatternText());

        var good = new DemoSummary([Summary.Seeds[0], Summary.Seeds[1]]);
        Assert.Empty(good.SeedsBreakingPattern);
        Assert.Contains("holds on the mean and on every seed", good.PatternText());
    }

    [Fact]
    public void MarkdownAndJsonCarryTheMeansAndEverySeed()
    {
        var markdown = Summary.ToMarkdown();
        Assert.Contains("| CoOp | 48.33 ± 8.62 | 33.00 ± 3.00 |", markdown);
        Assert.Contains("| 3 | CoOp | 39.00 | 33.00 | 35.75 |", markdown);
        Assert.Contains("| 2 | MaPLe | MCM | 57.00 | 80.00 |", Summary.OodToMarkdown());

        var json = Summary.ToJson();
        var coop = json[1]!.AsObject();
        Assert.Equal("CoOp", (string)coop["method"]!);
        Assert.Equal(48.3333, (double)coop["base"]!, 4);
        Assert.Equal(8.6217, (double)coop["base_std"]!, 4);
        Assert.Equal(2 * 62.0 * 52 / 114, (double)json[2]!["hm"]!, 4);
        Assert.Equal(2.5166, (double)Summary.OodToJson()[1]!["auroc_std"]!, 4);
    }
}
