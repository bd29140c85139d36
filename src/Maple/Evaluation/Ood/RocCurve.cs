namespace Maple.Evaluation.Ood;

/// <summary>
/// The operating points of a threshold on OOD scores, in-distribution (ID) images being the positives and
/// an image called ID when its score is at or above the threshold. There is one point per distinct score,
/// from the highest down, so tied scores always move together; point 0 is the threshold +∞ (nothing
/// called ID) and the last point is the lowest score (everything called ID).
/// </summary>
public sealed class RocCurve
{
    RocCurve(double[] thresholds, long[] truePositives, long[] falsePositives, long idCount, long oodCount)
    {
        Thresholds = thresholds;
        TruePositives = truePositives;
        FalsePositives = falsePositives;
        IdCount = idCount;
        OodCount = oodCount;
    }

    /// <summary>Threshold of each point, descending (+∞ first).</summary>
    public IReadOnlyList<double> Thresholds { get; }

    /// <summary>ID images scoring at or above each threshold.</summary>
    public IReadOnlyList<long> TruePositives { get; }

    /// <summary>OOD images scoring at or above each threshold.</summary>
    public IReadOnlyList<long> FalsePositives { get; }

    /// <summary>Number of ID images.</summary>
    public long IdCount { get; }

    /// <summary>Number of OOD images.</summary>
    public long OodCount { get; }

    /// <summary>Number of points.</summary>
    public int Count => Thresholds.Count;

    /// <summary>True-positive rate (ID recall) at point <paramref name="i"/>.</summary>
    public double Tpr(int i) => (double)TruePositives[i] / IdCount;

    /// <summary>False-positive rate (OOD images called ID) at point <paramref name="i"/>.</summary>
    public double Fpr(int i) => (double)FalsePositives[i] / OodCount;

    /// <summary>Builds the curve of ID scores <paramref name="idScores"/> against OOD scores <paramref name="oodScores"/>.</summary>
    /// <exception cref="ArgumentException">Either set is empty, or a score is NaN.</exception>
    public static RocCurve Compute(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores)
    {
        if (idScores.Count == 0 || oodScores.Count == 0)
            throw new UserInputException($"OOD metrics need both ID and OOD scores (got {idScores.Count} ID, {oodScores.Count} OOD)");
        if (idScores.Any(double.IsNaN) || oodScores.Any(double.IsNaN))
            throw new ArgumentException("OOD scores contain NaN");

        var all = new (double Score, bool IsId)[idScores.Count + oodScores.Count];
        for (var i = 0; i < idScores.Count; i++)
            all[i] = (idScores[i], true);
        for (var i = 0; i < oodScores.Count; i++)
            all[idScores.Count + i] = (oodScores[i], false);
        Array.Sort(all, (a, b) => b.Score.CompareTo(a.Score));

        var thresholds = new List<double> { double.PositiveInfinity };
        var truePositives = new List<long> { 0 };
        var falsePositives = new List<long> { 0 };
        var (tp, fp) = (0L, 0L);
        for (var i = 0; i < all.Length;)
        {
            var score = all[i].Score;
            // A threshold cannot separate equal scores: the whole tie enters at once.
            for (; i < all.Length && all[i].Score == score; i++)
            {
                if (all[i].IsId)
                    tp++;
                else
                    fp++;
            }
            thresholds.Add(score);
            truePositives.Add(tp);
            falsePositives.Add(fp);
        }
        return new RocCurve([.. thresholds], [.. truePositives], [.. falsePositives], idScores.Count, oodScores.Count);
    }
}
