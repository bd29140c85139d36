namespace Maple.Imaging;

/// <summary>
/// The source region that a resize maps onto the output, in source pixel coordinates (Pillow's <c>box</c>
/// argument of <c>Image.resize</c>); fractional edges are allowed. Kept as <see cref="float"/> because Pillow
/// stores the box in single precision, which affects the filter positions.
/// </summary>
/// <param name="Left">Left edge.</param>
/// <param name="Top">Top edge.</param>
/// <param name="Right">Right edge (exclusive).</param>
/// <param name="Bottom">Bottom edge (exclusive).</param>
public readonly record struct ResizeBox(float Left, float Top, float Right, float Bottom)
{
    /// <summary>The whole of an image of the given size.</summary>
    /// <param name="width">The image width.</param>
    /// <param name="height">The image height.</param>
    public static ResizeBox Whole(int width, int height) => new(0, 0, width, height);
}
