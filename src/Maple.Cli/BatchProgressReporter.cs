using System.Globalization;
using Maple.Evaluation;

namespace Maple.Cli;

/// <summary>Shows <see cref="BatchProgress"/> on a <see cref="ProgressDisplay"/> bar.</summary>
sealed class BatchProgressReporter(Action<double, string> update, string unit) : IProgress<BatchProgress>
{
    public void Report(BatchProgress p) => update(p.Done, string.Create(CultureInfo.InvariantCulture,
        $"{p.Done}/{p.Total} {unit}, {p.ItemsPerSecond:F1} {unit}/s"));
}
