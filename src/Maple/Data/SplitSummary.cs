namespace Maple.Data;

/// <summary>The counts of one split.</summary>
/// <param name="Name">The split's name.</param>
/// <param name="Source">Where it was read from.</param>
/// <param name="Images">Number of images (entries).</param>
/// <param name="PerClass">Images per class label.</param>
/// <param name="SameAs">The earlier split that holds exactly the same images (ImageNet's val and test), or null.</param>
public sealed record SplitSummary(string Name, string Source, int Images, IReadOnlyList<int> PerClass, string? SameAs);
