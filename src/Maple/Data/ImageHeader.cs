using Maple.Imaging;

namespace Maple.Data;

/// <summary>An image file's size and format, read from its header without decoding the pixels.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Format">The encoded format, e.g. <c>Jpeg</c>, <c>Png</c>.</param>
public sealed record ImageHeader(int Width, int Height, string Format)
{
    /// <summary>Reads the header of <paramref name="path"/>, which must be within <see cref="ImageDecoder.MaxPixels"/>.</summary>
    /// <exception cref="ImageDecodeException">
    /// The file is missing, not a regular file, empty, unreadable, not a recognised image or larger than the pixel limit.
    /// </exception>
    public static ImageHeader Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (width, height, format) = ImageDecoder.ReadHeader(path, ImageDecoder.MaxPixels);
        return new ImageHeader(width, height, format.ToString());
    }
}
