namespace Maple.Imaging;

/// <summary>An integer pixel rectangle: top-left corner (<see cref="Left"/>, <see cref="Top"/>) and size.</summary>
/// <param name="Left">First column.</param>
/// <param name="Top">First row.</param>
/// <param name="Width">Number of columns.</param>
/// <param name="Height">Number of rows.</param>
public readonly record struct CropBox(int Left, int Top, int Width, int Height)
{
    /// <summary>One past the last column (<c>Left + Width</c>).</summary>
    public int Right => Left + Width;

    /// <summary>One past the last row (<c>Top + Height</c>).</summary>
    public int Bottom => Top + Height;

    /// <summary>Whether the rectangle is non-empty and lies inside an image of the given size.</summary>
    /// <param name="imageWidth">The image width.</param>
    /// <param name="imageHeight">The image height.</param>
    public bool FitsIn(int imageWidth, int imageHeight) =>
        Left >= 0 && Top >= 0 && Width > 0 && Height > 0 && Right <= imageWidth && Bottom <= imageHeight;
}
