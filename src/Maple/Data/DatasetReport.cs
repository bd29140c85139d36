namespace Maple.Data;

/// <summary>What <see cref="DatasetInspector"/> found: classes, counts per split, image sizes and problems.</summary>
/// <param name="ClassNames">The class names (of the split with the most classes).</param>
/// <param name="Splits">The splits that could be read, in the order asked.</param>
/// <param name="Sizes">Image sizes over a sample, or null when no image could be read.</param>
/// <param name="Problems">Everything found wrong, by kind.</param>
public sealed record DatasetReport(IReadOnlyList<string> ClassNames, IReadOnlyList<SplitSummary> Splits, SizeSummary? Sizes, IReadOnlyList<DatasetProblem> Problems)
{
    /// <summary>The problems of one kind.</summary>
    public IReadOnlyList<DatasetProblem> Of(ProblemKind kind) => Problems.Where(p => p.Kind == kind).ToList();
}
