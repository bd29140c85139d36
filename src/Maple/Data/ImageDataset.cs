namespace Maple.Data;

/// <summary>Labelled images with their class names (label i is <c>ClassNames[i]</c>).</summary>
/// <param name="Source">Where the dataset came from, for messages.</param>
/// <param name="ClassNames">Display names of the classes.</param>
/// <param name="Items">The images, in a fixed order.</param>
public sealed record ImageDataset(string Source, IReadOnlyList<string> ClassNames, IReadOnlyList<LabeledImage> Items)
{
    /// <summary>
    /// The same images, labelled with other class names (e.g. from a class-name file): exactly one name per class of
    /// the data, so that name i is label i's.
    /// </summary>
    /// <exception cref="InvalidDataException">The counts differ.</exception>
    public ImageDataset WithClassNames(IReadOnlyList<string> names, string namesSource)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count != ClassNames.Count)
            throw new InvalidDataException(
                $"{namesSource}: {names.Count} class names, but {Source} has {ClassNames.Count} classes; give one name per class, the first line naming label 0");
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
