namespace Maple.Imaging;

/// <summary>Turns HWC bytes into normalised CHW floats through a per-channel lookup table.</summary>
internal static class ChwWriter
{
    /// <summary>
    /// Writes <paramref name="img"/> as CHW floats into <paramref name="dest"/> (length <c>3 * W * H</c>),
    /// optionally mirrored left-right.
    /// </summary>
    public static void Write(RgbImage img, float[] lookup, Span<float> dest, bool mirror = false)
    {
        var plane = img.Width * img.Height;
        if (dest.Length != plane * 3)
            throw new ArgumentException($"Destination holds {dest.Length} floats, {plane * 3} needed.", nameof(dest));
        var r = dest[..plane];
        var g = dest.Slice(plane, plane);
        var b = dest.Slice(2 * plane, plane);
        var lr = lookup.AsSpan(0, 256);
        var lg = lookup.AsSpan(256, 256);
        var lb = lookup.AsSpan(512, 256);
        var px = img.Pixels;
        var w = img.Width;
        for (var y = 0; y < img.Height; y++)
        {
            var s = y * w * 3;
            var rowStart = y * w;
            for (var x = 0; x < w; x++, s += 3)
            {
                var d = rowStart + (mirror ? w - 1 - x : x);
                r[d] = lr[px[s]];
                g[d] = lg[px[s + 1]];
                b[d] = lb[px[s + 2]];
            }
        }
    }
}
