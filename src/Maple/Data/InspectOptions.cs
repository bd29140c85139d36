namespace Maple.Data;

/// <summary>What <see cref="DatasetInspector"/> checks.</summary>
public sealed record InspectOptions
{
    /// <summary>How every image is checked for readability, or null to check only that the files exist.</summary>
    public ImageCheck? Verify { get; init; } = ImageCheck.Header;

    /// <summary>How many images (spread evenly over the dataset) give the size summary.</summary>
    public int SizeSample { get; init; } = 200;

    /// <summary>Files checked at once.</summary>
    public int MaxParallelism { get; init; } = 1;
}
