namespace Maple.Imaging;

/// <summary>
/// An 8-bit RGB image: <see cref="Height"/> rows of <see cref="Width"/> pixels, each pixel three bytes
/// (red, green, blue), rows stored top to bottom with no padding (HWC layout).
/// </summary>
public sealed class RgbImage
{
    /// <summary>Creates an image over an existing pixel buffer (not copied).</summary>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <param name="pixels">HWC RGB bytes; its length must be <c>width * height * 3</c>.</param>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * 3)
            throw new ArgumentException($"Expected {(long)width * height * 3} bytes for {width}x{height} RGB, got {pixels.LongLength}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Creates a black image of the given size.</summary>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    public RgbImage(int width, int height)
        : this(width, height, new byte[checked(width * height * 3)])
    {
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixel bytes, HWC RGB, row-major, <c>Width * Height * 3</c> long.</summary>
    public byte[] Pixels { get; }

    /// <summary>Number of bytes in one row (<c>Width * 3</c>).</summary>
    public int Stride => Width * 3;

    /// <summary>
    /// Copies the rectangle with top-left corner (<paramref name="left"/>, <paramref name="top"/>) into a new
    /// image, as Pillow's <c>Image.crop((left, top, left + width, top + height))</c> does for a box inside the image.
    /// </summary>
    /// <param name="left">First column.</param>
    /// <param name="top">First row.</param>
    /// <param name="width">Number of columns, at least 1.</param>
    /// <param name="height">Number of rows, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rectangle does not lie inside the image.</exception>
    public RgbImage Crop(int left, int top, int width, int height)
    {
        if (left < 0 || top < 0 || width < 1 || height < 1 || left + width > Width || top + height > Height)
            throw new ArgumentOutOfRangeException(nameof(left), $"Crop ({left}, {top}, {width}x{height}) is not inside a {Width}x{Height} image.");
        if (left == 0 && top == 0 && width == Width && height == Height)
            return new RgbImage(Width, Height, (byte[])Pixels.Clone());
        var result = new RgbImage(width, height);
        var rowBytes = width * 3;
        for (var y = 0; y < height; y++)
            Pixels.AsSpan(((top + y) * Width + left) * 3, rowBytes).CopyTo(result.Pixels.AsSpan(y * rowBytes, rowBytes));
        return result;
    }

    /// <summary>Returns a left-right mirrored copy (torchvision's <c>hflip</c>).</summary>
    public RgbImage FlipHorizontal()
    {
        var result = new RgbImage(Width, Height);
        var src = Pixels;
        var dst = result.Pixels;
        for (var y = 0; y < Height; y++)
        {
            var row = y * Width * 3;
            for (int x = 0, mirrored = Width - 1; x < Width; x++, mirrored--)
            {
                var s = row + x * 3;
                var d = row + mirrored * 3;
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
            }
        }
        return result;
    }
}
