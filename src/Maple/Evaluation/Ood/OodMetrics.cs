namespace Maple.Evaluation.Ood;

/// <summary>
/// How well scores separate in-distribution (ID, the positives) from OOD images. Scores follow the
/// convention "higher = more ID", and an image is called ID when its score is at or above the threshold.
/// </summary>
/// <param name="Auroc">
/// Area under the ROC curve: the probability that a random ID image scores above a random OOD image, a tie
/// counting 1/2 (the trapezoid area of <see cref="RocCurve"/>, whose tied scores make diagonal segments).
/// </param>
/// <param name="Aupr">
/// Area under the precision-recall curve with ID as positive, as average precision:
/// Σₙ (Rₙ − Rₙ₋₁) · Pₙ over the thresholds (distinct scores) from the highest down, with no interpolation
/// (scikit-learn's <c>average_precision_score</c>).
/// </param>
/// <param name="Fpr95">
/// The fraction of OOD images called ID at the highest threshold that still calls at least 95% of the ID
/// images ID (see <see cref="Compute(IReadOnlyList{double}, IReadOnlyList{double})"/>).
/// </param>
/// <param name="Fpr95Threshold">The threshold <see cref="Fpr95"/> is read at (NaN for an average).</param>
/// <param name="Tpr95">The ID recall at that threshold, ≥ 0.95 (above it when ties or few images make 0.95 unreachable exactly).</param>
/// <param name="IdCount">ID images.</param>
/// <param name="OodCount">OOD images.</param>
public sealed record OodMetrics(double Auroc, double Aupr, double Fpr95, double Fpr95Threshold, double Tpr95, long IdCount, long OodCount)
{
    /// <summary>The recall level of <see cref="Fpr95"/>.</summary>
    public const double RecallLevel = 0.95;

    /// <summary>
    /// Computes the metrics of ID scores <paramref name="idScores"/> against OOD scores <paramref name="oodScores"/>.
    /// </summary>
    /// <remarks>
    /// FPR95: with n ID images, the threshold is the largest score t such that at least ⌈0.95·n⌉ ID images
    /// score ≥ t (so TPR(t) ≥ 0.95, and no higher threshold reaches it); FPR95 is the fraction of OOD images
    /// scoring ≥ t, OOD images tied with t included. Among thresholds with TPR ≥ 0.95 this one has the
    /// smallest TPR and the smallest FPR. (Reference scripts that take the point whose TPR is nearest 0.95
    /// can land below 0.95; this one never does.)
    /// </remarks>
    public static OodMetrics Compute(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores) =>
        Compute(RocCurve.Compute(idScores, oodScores));

    /// <summary>Computes the metrics from a curve built by <see cref="RocCurve.Compute"/>.</summary>
    public static OodMetrics Compute(RocCurve curve)
    {
        var (nId, nOod) = ((double)curve.IdCount, (double)curve.OodCount);
        var (area, averagePrecision) = (0.0, 0.0);
        for (var i = 1; i < curve.Count; i++)
        {
            var (tp0, fp0) = (curve.TruePositives[i - 1], curve.FalsePositives[i - 1]);
            var (tp, fp) = (curve.TruePositives[i], curve.FalsePositives[i]);
            // Trapezoid: each OOD image entering here is outscored by tp0 ID images and tied with tp − tp0.
            area += (fp - fp0) * (tp0 + (tp - tp0) / 2.0);
            if (tp > tp0)
                averagePrecision += (tp - tp0) / nId * (tp / (double)(tp + fp));
        }

        var needed = NeededTruePositives(curve.IdCount, RecallLevel);
        var point = 1;
        while (curve.TruePositives[point] < needed)
            point++;
        return new OodMetrics(area / (nId * nOod), averagePrecision, curve.Fpr(point), curve.Thresholds[point], curve.Tpr(point),
            curve.IdCount, curve.OodCount);
    }

    /// <summary>The mean of each metric over several OOD sets scored against one ID set (threshold NaN, the ID count kept, OOD counts summed).</summary>
    public static OodMetrics Average(IReadOnlyList<OodMetrics> sets)
    {
        if (sets.Count == 0)
            throw new ArgumentException("no OOD sets to average", nameof(sets));
        return new OodMetrics(sets.Average(m => m.Auroc), sets.Average(m => m.Aupr), sets.Average(m => m.Fpr95), double.NaN,
            sets.Average(m => m.Tpr95), sets[0].IdCount, sets.Sum(m => m.OodCount));
    }

    /// <summary>⌈level · n⌉, exact for levels given in hundredths (0.95 · 20 is 19, not 20 by rounding error).</summary>
    static long NeededTruePositives(long n, double level) => (long)Math.Ceiling(Math.Round(level * n, 9));
}
