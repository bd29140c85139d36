using System.Buffers.Binary;
using System.IO.Compression;

namespace Maple.Imaging;

/// <summary>
/// Decodes 16-bit grayscale PNGs the way Pillow 9.4 does: it opens them in mode <c>I</c> (32-bit integers holding
/// the raw 16-bit samples) and <c>convert("RGB")</c> clips each sample to 0..255, so anything brighter than 255/65535
/// becomes white. Skia instead scales the samples to 8 bits and exposes no raw 16-bit access for grayscale, hence
/// this small decoder (inflate, unfilter, Adam7). Other PNG kinds go through Skia, which matches Pillow for them.
/// </summary>
internal static class Png16GrayDecoder
{
    static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Whether the data is a PNG whose header says 16-bit grayscale without alpha.</summary>
    public static bool Applies(ReadOnlySpan<byte> data) =>
        data.Length >= 33 && data[..8].SequenceEqual(Signature) && data.Slice(12, 4).SequenceEqual("IHDR"u8)
        && data[24] == 16 && data[25] == 0;

    /// <summary>Decodes the image; <paramref name="name"/> goes into error messages.</summary>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string name)
    {
        var width = BinaryPrimitives.ReadInt32BigEndian(data[16..]);
        var height = BinaryPrimitives.ReadInt32BigEndian(data[20..]);
        var interlaced = data[28] == 1;
        if (width < 1 || height < 1 || (long)width * height * 3 > Array.MaxLength)
            throw new ImageDecodeException(name, $"the PNG has an invalid size ({width}x{height})");

        using var compressed = new MemoryStream();
        var pos = 8;
        var sawEnd = false;
        while (pos + 8 <= data.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(data[pos..]);
            var type = data.Slice(pos + 4, 4);
            if (length < 0 || pos + 12L + length > data.Length)
                break;
            if (type.SequenceEqual("IDAT"u8))
                compressed.Write(data.Slice(pos + 8, length));
            else if (type.SequenceEqual("IEND"u8))
            {
                sawEnd = true;
                break;
            }
            pos += 12 + length;
        }
        if (compressed.Length == 0)
            throw new ImageDecodeException(name, sawEnd ? "the PNG has no image data" : "the PNG data is truncated (incomplete input)");

        // Sizes of the (up to seven) sub-images, each row preceded by a filter-type byte.
        var passes = interlaced ? Adam7 : [(0, 0, 1, 1)];
        long needed = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            var (pw, ph) = PassSize(width, height, x0, y0, dx, dy);
            if (pw > 0 && ph > 0)
                needed += (pw * 2L + 1) * ph;
        }
        if (needed > Array.MaxLength)
            throw new ImageDecodeException(name, $"the PNG is too large to decode ({width}x{height})");
        var raw = new byte[needed];
        compressed.Position = 0;
        try
        {
            using var inflater = new ZLibStream(compressed, CompressionMode.Decompress);
            inflater.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: true);
        }
        catch (EndOfStreamException e)
        {
            throw new ImageDecodeException(name, "the PNG data is truncated (incomplete input)", e);
        }
        catch (InvalidDataException e)
        {
            throw new ImageDecodeException(name, "the PNG data is corrupt", e);
        }

        var pixels = new byte[width * height * 3];
        var offset = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            var (pw, ph) = PassSize(width, height, x0, y0, dx, dy);
            if (pw == 0 || ph == 0)
                continue;
            var rowBytes = pw * 2;
            var previous = new byte[rowBytes];
            var current = new byte[rowBytes];
            for (var r = 0; r < ph; r++)
            {
                var filter = raw[offset];
                raw.AsSpan(offset + 1, rowBytes).CopyTo(current);
                offset += rowBytes + 1;
                if (!Unfilter(filter, current, previous))
                    throw new ImageDecodeException(name, $"the PNG data is corrupt (filter type {filter})");
                var y = y0 + r * dy;
                for (var i = 0; i < pw; i++)
                {
                    var sample = (current[i * 2] << 8) | current[i * 2 + 1];
                    var v = (byte)Math.Min(sample, 255);
                    var p = (y * width + x0 + i * dx) * 3;
                    pixels[p] = pixels[p + 1] = pixels[p + 2] = v;
                }
                (previous, current) = (current, previous);
            }
        }
        return new RgbImage(width, height, pixels);
    }

    static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    static (int Width, int Height) PassSize(int width, int height, int x0, int y0, int dx, int dy) =>
        (width > x0 ? (width - x0 + dx - 1) / dx : 0, height > y0 ? (height - y0 + dy - 1) / dy : 0);

    // PNG's five row filters, two bytes per pixel.
    static bool Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> above)
    {
        const int bpp = 2;
        switch (filter)
        {
            case 0:
                return true;
            case 1:
                for (var i = bpp; i < row.Length; i++)
                    row[i] += row[i - bpp];
                return true;
            case 2:
                for (var i = 0; i < row.Length; i++)
                    row[i] += above[i];
                return true;
            case 3:
                for (var i = 0; i < row.Length; i++)
                    row[i] += (byte)(((i >= bpp ? row[i - bpp] : 0) + above[i]) >> 1);
                return true;
            case 4:
                for (var i = 0; i < row.Length; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    row[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                return true;
            default:
                return false;
        }
    }
}
