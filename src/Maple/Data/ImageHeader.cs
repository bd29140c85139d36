using Maple.Imaging;
using SkiaSharp;

namespace Maple.Data;

/// <summary>An image file's size and format, read from its header without decoding the pixels.</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Format">The encoded format, e.g. <c>Jpeg</c>, <c>Png</c>.</param>
public sealed record ImageHeader(int Width, int Height, string Format)
{
    /// <summary>Reads the header of <paramref name="path"/>.</summary>
    /// <exception cref="ImageDecodeException">The file is missing, empty, unreadable or not a recognised image.</exception>
    public static ImageHeader Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists)
                throw new ImageDecodeException(path, "the file does not exist");
            if (info.Length == 0)
                throw new ImageDecodeException(path, "the file is empty (0 bytes)");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 14);
            using var managed = new SKManagedStream(stream);
            using var codec = SKCodec.Create(managed, out var result) ?? throw new ImageDecodeException(path, Describe(result, path, info.Length));
            var (width, height) = (codec.Info.Width, codec.Info.Height);
            if (width < 1 || height < 1)
                throw new ImageDecodeException(path, $"the image has no pixels ({width}x{height})");
            return new ImageHeader(width, height, codec.EncodedFormat.ToString());
        }
        catch (Exception e) when (e is IOException and not ImageDecodeException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, $"the file could not be read ({e.Message})", e);
        }
    }

    static string Describe(SKCodecResult result, string path, long length) => result switch
    {
        SKCodecResult.IncompleteInput => $"the header is truncated ({length} bytes)",
        SKCodecResult.InvalidInput => "the header is invalid",
        _ => $"not a recognised image format (expected JPEG, PNG, BMP, GIF or WebP; {length} bytes starting {Magic(path)})",
    };

    static string Magic(string path)
    {
        var head = new byte[8];
        using var stream = File.OpenRead(path);
        var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Convert.ToHexString(head, 0, n);
    }
}
