using Maple.Evaluation.Ood;

namespace Maple.Tests.Ood;

/// <summary>AUROC, AUPR and FPR95 on cases worked out by hand.</summary>
public sealed class OodMetricsTests
{
    const int Exact = 12;

    [Fact]
    public void PerfectSeparation()
    {
        var m = OodMetrics.Compute([3.0, 4, 5], [0.0, 1, 2]);
        Assert.Equal(1.0, m.Auroc, Exact);
        Assert.Equal(1.0, m.Aupr, Exact);
        Assert.Equal(0.0, m.Fpr95, Exact);
        Assert.Equal(3.0, m.Fpr95Threshold); // the lowest ID score: all 3 needed (⌈0.95·3⌉ = 3)
        Assert.Equal(1.0, m.Tpr95);
    }

    [Fact]
    public void ReversedSeparationIsTheWorstCase()
    {
        var m = OodMetrics.Compute([0.0, 1, 2], [3.0, 4, 5]);
        Assert.Equal(0.0, m.Auroc, Exact);
        Assert.Equal(1.0, m.Fpr95, Exact);
        // Precision at the only ID points: 1/4, 2/5, 3/6, each a third of the recall.
        Assert.Equal((1.0 / 4 + 2.0 / 5 + 3.0 / 6) / 3, m.Aupr, Exact);
    }

    [Fact]
    public void IdenticalDistributionsGiveHalf()
    {
        var m = OodMetrics.Compute([1.0, 2, 3, 4], [1.0, 2, 3, 4]);
        Assert.Equal(0.5, m.Auroc, Exact);
        Assert.Equal(0.5, m.Aupr, Exact); // precision 1/2 at every threshold
        Assert.Equal(1.0, m.Fpr95, Exact); // all 4 ID images needed: threshold 1, every OOD image at or above it

        var tied = OodMetrics.Compute([7.0, 7], [7.0, 7, 7]);
        Assert.Equal(0.5, tied.Auroc, Exact);
        Assert.Equal(2.0 / 5, tied.Aupr, Exact); // one threshold: recall 1 at precision 2/5
        Assert.Equal(1.0, tied.Fpr95, Exact);
    }

    [Fact]
    public void TiesCountHalfInAurocAndFullyInFpr()
    {
        // Pairs (ID, OOD): 0.9 beats 0.5 and 0.1 (2); each 0.5 ties 0.5 (2 × ½) and beats 0.1 (2): 5 of 6.
        var m = OodMetrics.Compute([0.9, 0.5, 0.5], [0.5, 0.1]);
        Assert.Equal(5.0 / 6, m.Auroc, Exact);
        // Thresholds 0.9 (recall 1/3, precision 1) and 0.5 (recall 1, precision 3/4).
        Assert.Equal(1.0 / 3 * 1 + 2.0 / 3 * 3 / 4, m.Aupr, Exact);
        // All 3 ID images are needed; at threshold 0.5 the tied OOD image is called ID too.
        Assert.Equal(0.5, m.Fpr95Threshold);
        Assert.Equal(0.5, m.Fpr95, Exact);
    }

    [Fact]
    public void AuprOnASmallWorkedExample()
    {
        // Ranking: 0.8 ID, 0.6 OOD, 0.4 ID, 0.2 OOD. AP = ½·1 + ½·⅔.
        var m = OodMetrics.Compute([0.8, 0.4], [0.6, 0.2]);
        Assert.Equal(0.5 + 0.5 * 2.0 / 3, m.Aupr, Exact);
        Assert.Equal(0.75, m.Auroc, Exact);
        Assert.Equal(0.4, m.Fpr95Threshold);
        Assert.Equal(0.5, m.Fpr95, Exact);
    }

    [Fact]
    public void Fpr95IsReadAtTheHighestThresholdReaching95Percent()
    {
        // 20 ID scores 1..20: ⌈0.95·20⌉ = 19 (exactly; 0.95·20 in binary is not above 19), so the
        // threshold is 2, the 19th highest ID score, not 1. OOD images at 2 and 2.5 are at or above it.
        var id = Enumerable.Range(1, 20).Select(i => (double)i).ToArray();
        var m = OodMetrics.Compute(id, [2.0, 1.5, 2.5, 0]);
        Assert.Equal(2.0, m.Fpr95Threshold);
        Assert.Equal(0.95, m.Tpr95, Exact);
        Assert.Equal(0.5, m.Fpr95, Exact);

        // 100 ID scores 1..100: the threshold is the 95th highest, 6; OOD scores 5.5 and 6 → only 6 counts.
        var hundred = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();
        var h = OodMetrics.Compute(hundred, [5.5, 6, 100.5, -1]);
        Assert.Equal(6.0, h.Fpr95Threshold);
        Assert.Equal(0.5, h.Fpr95, Exact);

        // 21 ID scores: ⌈19.95⌉ = 20 are needed, TPR 20/21 > 0.95.
        var m21 = OodMetrics.Compute(Enumerable.Range(1, 21).Select(i => (double)i).ToArray(), [1.5, 2, 3]);
        Assert.Equal(2.0, m21.Fpr95Threshold);
        Assert.Equal(20.0 / 21, m21.Tpr95, Exact);
        Assert.Equal(2.0 / 3, m21.Fpr95, Exact);
    }

    [Fact]
    public void TiesAtTheFpr95ThresholdMoveTogether()
    {
        // 20 ID images, the lowest three tied at 1: reaching 19 needs the tie, so TPR jumps to 1.
        var id = Enumerable.Range(4, 17).Select(i => (double)i).Concat([1.0, 1, 1]).ToArray();
        var m = OodMetrics.Compute(id, [1.0, 0.5, 3, 0]);
        Assert.Equal(1.0, m.Fpr95Threshold);
        Assert.Equal(1.0, m.Tpr95, Exact);
        Assert.Equal(0.5, m.Fpr95, Exact);
    }

    [Fact]
    public void MatchesBruteForceOnRandomScoresWithTies()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 30; trial++)
        {
            // Scores in tenths so that ties are common.
            var id = Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.Next(0, 20) / 10.0 + 0.5).ToArray();
            var ood = Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.Next(0, 20) / 10.0).ToArray();
            var m = OodMetrics.Compute(id, ood);

            var pairs = id.Sum(a => ood.Sum(b => a > b ? 1.0 : a == b ? 0.5 : 0.0));
            Assert.Equal(pairs / (id.Length * ood.Length), m.Auroc, 10);

            var thresholds = id.Concat(ood).Distinct().OrderDescending().ToArray();
            var (ap, previousRecall) = (0.0, 0.0);
            foreach (var t in thresholds)
            {
                var tp = id.Count(s => s >= t);
                var fp = ood.Count(s => s >= t);
                var recall = (double)tp / id.Length;
                ap += (recall - previousRecall) * tp / (tp + fp);
                previousRecall = recall;
            }
            Assert.Equal(ap, m.Aupr, 10);

            var best = thresholds.Where(t => id.Count(s => s >= t) >= 0.95 * id.Length - 1e-9).Max();
            Assert.Equal(best, m.Fpr95Threshold);
            Assert.Equal((double)ood.Count(s => s >= best) / ood.Length, m.Fpr95, 12);

            // Swapping the roles mirrors the AUROC.
            Assert.Equal(1 - m.Auroc, OodMetrics.Compute(ood, id).Auroc, 10);
        }
    }

    [Fact]
    public void RocCurveStartsAtOriginAndEndsAtOne()
    {
        var curve = RocCurve.Compute([0.9, 0.5, 0.5], [0.5, 0.1]);
        Assert.Equal([double.PositiveInfinity, 0.9, 0.5, 0.1], curve.Thresholds);
        Assert.Equal([0L, 1, 3, 3], curve.TruePositives);
        Assert.Equal([0L, 0, 1, 2], curve.FalsePositives);
        Assert.Equal((0.0, 0.0), (curve.Fpr(0), curve.Tpr(0)));
        Assert.Equal((1.0, 1.0), (curve.Fpr(3), curve.Tpr(3)));
    }

    [Fact]
    public void AverageIsTheMeanOverSets()
    {
        var a = OodMetrics.Compute([3.0, 4, 5], [0.0, 1, 2]);
        var b = OodMetrics.Compute([1.0, 2, 3, 4], [1.0, 2, 3, 4]);
        var mean = OodMetrics.Average([a, b]);
        Assert.Equal(0.75, mean.Auroc, Exact);
        Assert.Equal(0.5, mean.Fpr95, Exact);
        Assert.Equal(0.75, mean.Aupr, Exact);
        Assert.True(double.IsNaN(mean.Fpr95Threshold));
    }

    [Fact]
    public void RejectsEmptySetsAndNaN()
    {
        Assert.Throws<UserInputException>(() => OodMetrics.Compute([], [1.0]));
        Assert.Throws<UserInputException>(() => OodMetrics.Compute([1.0], []));
        Assert.Throws<ArgumentException>(() => OodMetrics.Compute([1.0, double.NaN], [0.0]));
    }
}
