namespace Maple.Data;

/// <summary>
/// The base-to-novel protocol of CoCoOp and MaPLe: the labels 0..n-1 of a dataset's class list are sorted, the
/// first ceil(n/2) are the base classes and the rest the novel ones; each half is relabelled from 0 with its
/// class names following. Few-shot sampling happens before this split, on all classes, so the base and the novel
/// run of a seed see the same shots.
/// </summary>
/// <remarks>
/// CoOp takes the labels present in the training split; here they are the dataset's whole class list, which is
/// the same for every benchmark and makes the split of a test set independent of which training images exist.
/// </remarks>
public static class BaseNovelSplit
{
    /// <summary>Parses <c>all</c>, <c>base</c>, or <c>novel</c> (also CoOp's <c>new</c>), ignoring case.</summary>
    /// <exception cref="ArgumentException">Any other text.</exception>
    public static Subset Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "all" => Subset.All,
        "base" => Subset.Base,
        "novel" or "new" => Subset.Novel,
        _ => throw new UserInputException($"subset must be all, base or novel, not '{text}'"),
    };

    /// <summary>The original labels that <paramref name="subset"/> keeps out of <paramref name="classCount"/>, in order.</summary>
    public static IReadOnlyList<int> Labels(int classCount, Subset subset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classCount);
        var baseCount = (classCount + 1) / 2;
        return subset switch
        {
            Subset.All => Enumerable.Range(0, classCount).ToList(),
            Subset.Base => Enumerable.Range(0, baseCount).ToList(),
            Subset.Novel => Enumerable.Range(baseCount, classCount - baseCount).ToList(),
            _ => throw new ArgumentOutOfRangeException(nameof(subset)),
        };
    }

    /// <summary>
    /// The images of <paramref name="dataset"/> whose class is in <paramref name="subset"/>, relabelled from 0, with
    /// the kept class names; <see cref="Subset.All"/> returns the dataset unchanged. The order of the images is kept.
    /// </summary>
    public static ImageDataset Subsample(ImageDataset dataset, Subset subset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (subset == Subset.All)
            return dataset;
        var kept = Labels(dataset.ClassNames.Count, subset);
        if (kept.Count == 0)
            throw new InvalidDataException($"{dataset.Source}: {dataset.ClassNames.Count} classes leave no {Describe(subset)} classes");
        var first = kept[0];
        var items = dataset.Items.Where(i => i.Label >= first && i.Label < first + kept.Count)
            .Select(i => i with { Label = i.Label - first }).ToList();
        var names = kept.Select(l => dataset.ClassNames[l]).ToList();
        return new ImageDataset($"{dataset.Source}, {Describe(subset)} classes", names, items);
    }

    static string Describe(Subset subset) => subset == Subset.Base ? "base" : "novel";
}
