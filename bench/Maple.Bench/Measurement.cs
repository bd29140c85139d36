namespace Maple.Bench;

/// <summary>Whether a figure should stay below or above its target.</summary>
public enum TargetKind
{
    /// <summary>No target: the figure is reported for information.</summary>
    None,

    /// <summary>The figure meets the target when it is at most the target (times, memory).</summary>
    AtMost,

    /// <summary>The figure meets the target when it is at least the target (throughput).</summary>
    AtLeast,
}

/// <summary>One figure measured by a case, as a child process reports it to the parent.</summary>
/// <param name="Case">The case's name (load, image, text, train, eval, preprocess, gemm).</param>
/// <param name="Setting">What was measured in words: precision, threads, classes, batch.</param>
/// <param name="Figure">What the value is (step time, images/s, peak RSS, ...).</param>
/// <param name="Value">The measured value.</param>
/// <param name="Unit">The value's unit.</param>
/// <param name="Target">The target, when the brief sets one.</param>
/// <param name="Kind">How the value compares with the target.</param>
/// <param name="PeakRssMb">The child process's peak resident set (VmHWM) in MB (10⁶ bytes).</param>
/// <param name="Details">Supporting figures (a step's breakdown, CPU time, sample counts).</param>
/// <param name="Note">A remark for the reader: why a case was skipped or failed, what a figure means.</param>
/// <param name="Precision">The precision of the matrix products (fp32, bf16), when the figure has one.</param>
/// <param name="Threads">libtorch's intra-op threads, when the figure depends on them.</param>
/// <param name="AchievedGflops">
/// The matrix products' GFLOP (<see cref="Flops"/>) over the figure's time: with the same run's <c>gemm</c> figure of the
/// same precision and threads, the fraction of the CPU's limit the figure reaches.
/// </param>
/// <param name="LimitTarget">The fraction of the GEMM limit the brief asks of this figure, if any.</param>
public sealed record Measurement(
    string Case, string Setting, string Figure, double Value, string Unit,
    double? Target = null, TargetKind Kind = TargetKind.None, double PeakRssMb = 0,
    Dictionary<string, double>? Details = null, string? Note = null,
    string? Precision = null, int Threads = 0, double? AchievedGflops = null, double? LimitTarget = null)
{
    /// <summary>Whether the target is met; null when there is none.</summary>
    public bool? Met => double.IsNaN(Value) ? (Kind == TargetKind.None ? null : false) : Kind switch
    {
        TargetKind.AtMost => Value <= Target,
        TargetKind.AtLeast => Value >= Target,
        _ => null,
    };

    /// <summary>The target as the table shows it (≤ 3.5, ≥ 10, or blank).</summary>
    public string TargetText => Kind switch
    {
        TargetKind.AtMost => $"≤ {Target:0.##}",
        TargetKind.AtLeast => $"≥ {Target:0.##}",
        _ => "",
    };
}
