namespace Maple.Data;

/// <summary>Labelled images with their class names (label i is <c>ClassNames[i]</c>).</summary>
/// <param name="Source">Where the dataset came from, for messages.</param>
/// <param name="ClassNames">Display names of the classes.</param>
/// <param name="Items">The images, in a fixed order.</param>
public sealed record ImageDataset(string Source, IReadOnlyList<string> ClassNames, IReadOnlyList<LabeledImage> Items)
{
    /// <summary>The same images, labelled with other class names (e.g. from <c>--classes</c>).</summary>
    public ImageDataset WithClassNames(IReadOnlyList<string> names, string namesSource)
    {
        var maxLabel = Items.Count == 0 ? -1 : Items.Max(i => i.Label);
        if (names.Count <= maxLabel)
            throw new InvalidDataException($"{namesSource}: {names.Count} class names, but {Source} has labels up to {maxLabel}");
        return this with { ClassNames = names };
    }

    /// <summary>Images per class label.</summary>
    public int[] CountsPerClass()
    {
        var counts = new int[ClassNames.Count];
        foreach (var item in Items)
            counts[item.Label]++;
        return counts;
    }
}
