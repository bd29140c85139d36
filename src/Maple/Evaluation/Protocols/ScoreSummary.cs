namespace Maple.Evaluation.Protocols;

/// <summary>Mean and sample standard deviation of one metric over seeds.</summary>
/// <param name="Mean">Mean over seeds.</param>
/// <param name="Std">Sample standard deviation (0 for one seed).</param>
/// <param name="Count">Number of seeds.</param>
public readonly record struct ScoreSummary(double Mean, double Std, int Count)
{
    /// <summary>Summarises <paramref name="values"/>.</summary>
    public static ScoreSummary Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            return new ScoreSummary(double.NaN, double.NaN, 0);
        var mean = values.Average();
        var std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new ScoreSummary(mean, std, values.Count);
    }

    /// <summary>The harmonic mean 2·B·N/(B+N) of two accuracies, as the papers report HM (from the means).</summary>
    public static double HarmonicMean(double baseAccuracy, double novelAccuracy) =>
        baseAccuracy + novelAccuracy == 0 ? 0 : 2 * baseAccuracy * novelAccuracy / (baseAccuracy + novelAccuracy);

    /// <summary>"82.28 ± 0.41", or "82.28" for one seed.</summary>
    public override string ToString() =>
        Count == 0 ? "–" : Count == 1 ? Mean.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Mean:F2} ± {Std:F2}");
}
