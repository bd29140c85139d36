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
    /// <summary>
    /// The most pixels (width × height) <see cref="MaxPixels"/> allows by default: Pillow's
    /// <c>Image.MAX_IMAGE_PIXELS</c> (2^30 / 4 / 3, a 256 MiB RGB image). Decoding holds about 7 bytes per pixel
    /// (RGBA from the codec plus the RGB copy), so an image at the limit peaks near 630 MB.
    /// </summary>
    public const long DefaultMaxPixels = 89_478_485;

    static long s_maxPixels = DefaultMaxPixels;

    /// <summary>
    /// The largest image, in pixels, that the overloads without a limit decode. Checked against the size in the
    /// file's header before any pixel memory is allocated, so that a small file declaring a huge image (a
    /// decompression bomb) fails at once. Process-wide, like Pillow's <c>Image.MAX_IMAGE_PIXELS</c>; raise it
    /// for trusted large images.
    /// </summary>
    public static long MaxPixels
    {
        get => Volatile.Read(ref s_maxPixels);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_maxPixels, value);
        }
    }

    /// <summary>Reads and decodes an image file of at most <see cref="MaxPixels"/> pixels.</summary>
    /// <param name="path">The image file.</param>
    /// <returns>The decoded pixels.</returns>
    /// <exception cref="ImageDecodeException">
    /// The file is missing, not a regular file, unreadable, empty, not an image, larger than the pixel limit,
    /// truncated or otherwise damaged.
    /// </exception>
    public static RgbImage Decode(string path) => Decode(path, MaxPixels);

    /// <summary>Reads and decodes an image file of at most <paramref name="maxPixels"/> pixels.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="maxPixels">The largest width × height accepted.</param>
    /// <returns>The decoded pixels.</returns>
    /// <exception cref="ImageDecodeException">As <see cref="Decode(string)"/>.</exception>
    public static RgbImage Decode(string path, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(path);
        var data = ReadChecked(path, maxPixels);
        return Decode(data.AsSpan(), path, maxPixels);
    }

    /// <summary>Decodes an encoded image held in memory, of at most <see cref="MaxPixels"/> pixels.</summary>
    /// <param name="data">The encoded file contents.</param>
    /// <param name="nameForErrors">A file name or description to put in error messages.</param>
    /// <returns>The decoded pixels.</returns>
    /// <exception cref="ImageDecodeException">The data is empty, not an image, too large, truncated or otherwise damaged.</exception>
    public static RgbImage Decode(byte[] data, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Decode(data.AsSpan(), nameForErrors, MaxPixels);
    }

    /// <summary>Decodes an encoded image held in memory, of at most <see cref="MaxPixels"/> pixels.</summary>
    /// <param name="data">The encoded file contents.</param>
    /// <param name="nameForErrors">A file name or description to put in error messages.</param>
    /// <returns>The decoded pixels.</returns>
    /// <exception cref="ImageDecodeException">The data is empty, not an image, too large, truncated or otherwise damaged.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string nameForErrors) => Decode(data, nameForErrors, MaxPixels);

    /// <summary>Decodes an encoded image held in memory, of at most <paramref name="maxPixels"/> pixels.</summary>
    /// <param name="data">The encoded file contents.</param>
    /// <param name="nameForErrors">A file name or description to put in error messages.</param>
    /// <param name="maxPixels">The largest width × height accepted.</param>
    /// <returns>The decoded pixels.</returns>
    /// <exception cref="ImageDecodeException">The data is empty, not an image, too large, truncated or otherwise damaged.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string nameForErrors, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(nameForErrors);
        if (data.IsEmpty)
            throw new ImageDecodeException(nameForErrors, "the file is empty (0 bytes)");

        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new ImageDecodeException(nameForErrors,
                $"not a recognised image format (expected JPEG, PNG, BMP, GIF or WebP; {data.Length} bytes starting {Magic(data)})");
        var width = codec.Info.Width;
        var height = codec.Info.Height;
        CheckSize(width, height, maxPixels, nameForErrors);

        if (codec.EncodedFormat == SKEncodedImageFormat.Png && Png16GrayDecoder.Applies(data))
            return Png16GrayDecoder.Decode(data, nameForErrors);

        var pixelCount = (long)width * height;
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

    /// <summary>
    /// The size and format of an image file, from its header, after checking that it is a regular file and that the
    /// size is within <paramref name="maxPixels"/>. Reads only as much of the file as the header needs.
    /// </summary>
    /// <exception cref="ImageDecodeException">The file is missing, not a regular file, unreadable, empty, not an image or too large.</exception>
    internal static (int Width, int Height, SKEncodedImageFormat Format) ReadHeader(string path, long maxPixels)
    {
        using var stream = Open(path);
        return ReadHeader(stream, path, maxPixels);
    }

    // Reads the whole file once its header has passed the checks, so a huge declared image costs nothing.
    static byte[] ReadChecked(string path, long maxPixels)
    {
        using var stream = Open(path);
        ReadHeader(stream, path, maxPixels);
        if (stream.Length > Array.MaxLength)
            throw new ImageDecodeException(path, $"the file is too large to read ({stream.Length} bytes)");
        try
        {
            var data = GC.AllocateUninitializedArray<byte>((int)stream.Length);
            stream.Position = 0;
            stream.ReadExactly(data);
            return data;
        }
        catch (Exception e) when (e is IOException and not ImageDecodeException)
        {
            throw new ImageDecodeException(path, $"the file could not be read ({e.Message})", e);
        }
    }

    static FileStream Open(string path)
    {
        switch (InputFile.NotRegular(path))
        {
            case null:
                break;
            case InputFile.Missing:
                throw new ImageDecodeException(path, "the file does not exist");
            case var kind:
                throw new ImageDecodeException(path, $"the file is {kind}, not a regular file; only regular files are read as images");
        }
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 14);
            if (stream.Length == 0)
            {
                stream.Dispose();
                throw new ImageDecodeException(path, "the file is empty (0 bytes)");
            }
            return stream;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException(path, "the file does not exist", e);
        }
        catch (Exception e) when (e is IOException and not ImageDecodeException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ImageDecodeException(path, $"the file could not be read ({e.Message})", e);
        }
    }

    static (int Width, int Height, SKEncodedImageFormat Format) ReadHeader(FileStream stream, string path, long maxPixels)
    {
        try
        {
            using var managed = new SKManagedStream(stream, disposeManagedStream: false);
            using var codec = SKCodec.Create(managed, out var result)
                ?? throw new ImageDecodeException(path, DescribeHeader(result, stream));
            var (width, height) = (codec.Info.Width, codec.Info.Height);
            CheckSize(width, height, maxPixels, path);
            return (width, height, codec.EncodedFormat);
        }
        catch (Exception e) when (e is IOException and not ImageDecodeException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, $"the file could not be read ({e.Message})", e);
        }
    }

    static void CheckSize(int width, int height, long maxPixels, string name)
    {
        if (width < 1 || height < 1)
            throw new ImageDecodeException(name, $"the image has no pixels ({width}x{height})");
        var pixels = (long)width * height;
        if (pixels > maxPixels)
            throw new ImageDecodeException(name,
                $"the image declares {width}x{height} = {pixels:N0} pixels, above the limit of {maxPixels:N0} (a decompression bomb?); raise the image pixel limit only for an image you trust")
            {
                OverPixelLimit = true,
            };
        // RGBA needs 4 bytes per pixel in one array, whatever the limit.
        if (pixels * 4 > Array.MaxLength)
            throw new ImageDecodeException(name, $"the image is too large to decode ({width}x{height})");
    }

    static string DescribeHeader(SKCodecResult result, FileStream stream) => result switch
    {
        SKCodecResult.IncompleteInput => $"the header is truncated ({stream.Length} bytes)",
        SKCodecResult.InvalidInput => "the header is invalid",
        _ => $"not a recognised image format (expected JPEG, PNG, BMP, GIF or WebP; {stream.Length} bytes starting {Magic(stream)})",
    };

    static string Magic(FileStream stream)
    {
        Span<byte> head = stackalloc byte[8];
        stream.Position = 0;
        var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Magic(head[..n]);
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
