namespace Maple.Imaging;

/// <summary>
/// Gives transparent pixels of a GIF's first frame the colour Pillow gives them. Pillow opens a GIF as a palette
/// image whose transparent pixels keep their palette index, and fills canvas outside the first frame with the
/// transparency index (or 0), so <c>convert("RGB")</c> shows that palette entry's colour; Skia instead returns
/// such pixels fully transparent with no meaningful colour. Only the GIF header is parsed here (colour tables and
/// the graphic control extension before the first image), never the LZW data.
/// </summary>
internal static class GifTransparency
{
    /// <summary>
    /// Replaces the colour of every pixel whose alpha is 0 in <paramref name="rgba"/> (Skia's decode of
    /// <paramref name="gif"/>) with Pillow's colour for it. Leaves the pixels alone if the header cannot be read.
    /// </summary>
    public static void Apply(ReadOnlySpan<byte> gif, Span<byte> rgba)
    {
        if (!TryFillColour(gif, out var r, out var g, out var b))
            return;
        for (var i = 3; i < rgba.Length; i += 4)
        {
            if (rgba[i] != 0)
                continue;
            rgba[i - 3] = r;
            rgba[i - 2] = g;
            rgba[i - 1] = b;
        }
    }

    /// <summary>The colour of palette entry (transparency index, or 0 when none) of the first frame.</summary>
    static bool TryFillColour(ReadOnlySpan<byte> gif, out byte r, out byte g, out byte b)
    {
        r = g = b = 0;
        if (gif.Length < 13 || !gif[..3].SequenceEqual("GIF"u8))
            return false;
        var pos = 13;
        var flags = gif[10];
        var globalTable = ReadOnlySpan<byte>.Empty;
        if ((flags & 0x80) != 0)
        {
            var size = 3 << ((flags & 7) + 1);
            if (pos + size > gif.Length)
                return false;
            globalTable = gif.Slice(pos, size);
            pos += size;
        }

        int? transparency = null;
        while (pos < gif.Length)
        {
            var tag = gif[pos++];
            if (tag == 0x21)
            {
                if (pos >= gif.Length)
                    return false;
                var label = gif[pos++];
                var first = true;
                // Extension data is a chain of length-prefixed sub-blocks ending with a zero length.
                while (pos < gif.Length)
                {
                    var length = gif[pos++];
                    if (length == 0)
                        break;
                    if (pos + length > gif.Length)
                        return false;
                    // Graphic control extension: flags, delay (2 bytes), transparent index.
                    if (label == 0xF9 && first && length >= 4 && (gif[pos] & 1) != 0)
                        transparency = gif[pos + 3];
                    first = false;
                    pos += length;
                }
            }
            else if (tag == 0x2C)
            {
                if (pos + 9 > gif.Length)
                    return false;
                var imageFlags = gif[pos + 8];
                pos += 9;
                var table = globalTable;
                if ((imageFlags & 0x80) != 0)
                {
                    var size = 3 << ((imageFlags & 7) + 1);
                    if (pos + size > gif.Length)
                        return false;
                    table = gif.Slice(pos, size);
                }
                var index = transparency ?? 0;
                if (index * 3 + 2 < table.Length)
                {
                    r = table[index * 3];
                    g = table[index * 3 + 1];
                    b = table[index * 3 + 2];
                }
                else
                {
                    // Without a colour table Pillow reads the indices as grey levels; entries past the table's
                    // end keep Pillow's default grey ramp.
                    r = g = b = (byte)index;
                }
                return true;
            }
            else
            {
                return false;
            }
        }
        return false;
    }
}
