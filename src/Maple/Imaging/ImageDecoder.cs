using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SkiaSharp;

namespace Maple.Imaging;

/// <summary>
/// Decodes JPEG, PNG, BMP, GIF and WebP files (and any other format SkiaSharp recognises) into
/// <see cref="RgbImage"/>, matching Pillow's <c>Image.open(p).convert("RGB")</c>: palette and grayscale images are
/// expanded, alpha is dropped (not composited), CMYK JPEGs are converted the way Pillow converts them, EXIF
/// orientation is not applied and no colour profile is applied. GIFs give their first frame, with transparent
/// pixels showing their palette colour as in Pillow; 16-bit grayscale PNGs are clipped to 0..255 as Pillow's mode
/// <c>I</c> conversion does.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Reads and decodes an image file.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The decoded pixels.</returns>
    /// <exception cref="ImageDecodeException">
    /// The file is missing, unreadable, empty, not an image, truncated or otherwise damaged.
    /// </exception>
    public static RgbImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException(path, "the file does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ImageDecodeException(path, $"the file could not be read ({e.Message})", e);
        }
        return Decode(data, path);
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="data">The encoded file contents.</param>
    /// <param name="nameForErrors">A file name or description to put in error messages.</param>
    /// <returns>The decoded pixels.</returns>
    /// <exception cref="ImageDecodeException">The data is empty, not an image, truncated or otherwise damaged.</exception>
    public static RgbImage Decode(byte[] data, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Decode(data.AsSpan(), nameForErrors);
    }

    /// <summary>Decodes an encoded image held in memory.</summary>
    /// <param name="data">The encoded file contents.</param>
    /// <param name="nameForErrors">A file name or description to put in error messages.</param>
    /// <returns>The decoded pixels.</returns>
    /// <exception cref="ImageDecodeException">The data is empty, not an image, truncated or otherwise damaged.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(nameForErrors);
        if (data.IsEmpty)
            throw new ImageDecodeException(nameForErrors, "the file is empty (0 bytes)");

        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new ImageDecodeException(nameForErrors,
                $"not a recognised image format (expected JPEG, PNG, BMP, GIF or WebP; {data.Length} bytes starting {Magic(data)})");

        if (codec.EncodedFormat == SKEncodedImageFormat.Png && Png16GrayDecoder.Applies(data))
            return Png16GrayDecoder.Decode(data, nameForErrors);

        var width = codec.Info.Width;
        var height = codec.Info.Height;
        if (width < 1 || height < 1)
            throw new ImageDecodeException(nameForErrors, $"the image has no pixels ({width}x{height})");
        var pixelCount = (long)width * height;
        if (pixelCount * 4 > Array.MaxLength)
            throw new ImageDecodeException(nameForErrors, $"the image is too large to decode ({width}x{height})");

        // Unpremultiplied RGBA with no colour space: Skia then applies no ICC/gAMA conversion and leaves colour
        // values of transparent pixels alone, so dropping alpha afterwards equals Pillow's RGBA -> RGB.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = ArrayPool<byte>.Shared.Rent((int)(pixelCount * 4));
        try
        {
            SKCodecResult result;
            var pin = GCHandle.Alloc(rgba, GCHandleType.Pinned);
            try
            {
                result = codec.GetPixels(info, pin.AddrOfPinnedObject(), width * 4, SKCodecOptions.Default);
            }
            finally
            {
                pin.Free();
            }
            // IncompleteInput means Skia filled the missing part with a default colour: a truncated file must fail
            // rather than feed a half-grey picture to the model.
            if (result != SKCodecResult.Success)
                throw new ImageDecodeException(nameForErrors, Describe(result, codec.EncodedFormat));

            if (codec.EncodedFormat == SKEncodedImageFormat.Gif)
                GifTransparency.Apply(data, rgba.AsSpan(0, (int)(pixelCount * 4)));

            var pixels = GC.AllocateUninitializedArray<byte>((int)(pixelCount * 3));
            DropAlpha(rgba.AsSpan(0, (int)(pixelCount * 4)), pixels);
            return new RgbImage(width, height, pixels);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    static string Describe(SKCodecResult result, SKEncodedImageFormat format) => result switch
    {
        SKCodecResult.IncompleteInput => $"the {format} data is truncated (incomplete input)",
        SKCodecResult.ErrorInInput => $"the {format} data is corrupt",
        SKCodecResult.InvalidInput => $"the {format} data is invalid",
        _ => $"the {format} decoder failed ({result})",
    };

    static string Magic(ReadOnlySpan<byte> data) =>
        Convert.ToHexString(data[..Math.Min(8, data.Length)]).ToLowerInvariant();

    static void DropAlpha(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        var n = rgb.Length / 3;
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            // Four pixels per shuffle; each 16-byte store overlaps the next by four bytes, so stop early enough
            // that the last store stays inside the output.
            var keep = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0xFF, 0xFF, 0xFF, 0xFF);
            ref var src = ref MemoryMarshal.GetReference(rgba);
            ref var dst = ref MemoryMarshal.GetReference(rgb);
            for (; i + 6 <= n; i += 4)
                Vector128.Shuffle(Vector128.LoadUnsafe(ref src, (nuint)(i * 4)), keep).StoreUnsafe(ref dst, (nuint)(i * 3));
        }
        for (; i < n; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[i * 3 + 1] = rgba[i * 4 + 1];
            rgb[i * 3 + 2] = rgba[i * 4 + 2];
        }
    }
}
