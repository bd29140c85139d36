namespace Maple.Data;

/// <summary>Image sizes over a sample of a dataset's images, from their headers.</summary>
/// <param name="Sampled">Images whose header was read.</param>
/// <param name="MinWidth">Smallest width.</param>
/// <param name="MaxWidth">Largest width.</param>
/// <param name="MinHeight">Smallest height.</param>
/// <param name="MaxHeight">Largest height.</param>
/// <param name="MostCommon">The most frequent sizes, most frequent first, with their counts.</param>
/// <param name="Formats">Images per encoded format (e.g. Jpeg, Png).</param>
public sealed record SizeSummary(int Sampled, int MinWidth, int MaxWidth, int MinHeight, int MaxHeight,
    IReadOnlyList<(int Width, int Height, int Count)> MostCommon, IReadOnlyDictionary<string, int> Formats);
