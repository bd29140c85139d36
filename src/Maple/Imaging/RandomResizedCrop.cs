namespace Maple.Imaging;

/// <summary>
/// torchvision's <c>RandomResizedCrop.get_params</c>: picks a crop box with area a uniform fraction
/// [<see cref="MinScale"/>, <see cref="MaxScale"/>] of the image and log-uniform aspect ratio in
/// [<see cref="MinRatio"/>, <see cref="MaxRatio"/>], by the same procedure (up to 10 tries, then a center-crop
/// fallback). The random numbers come from the given generator, not from torch's.
/// </summary>
/// <param name="MinScale">Smallest crop area as a fraction of the image area (torchvision default 0.08).</param>
/// <param name="MaxScale">Largest crop area fraction (default 1).</param>
/// <param name="MinRatio">Smallest width/height ratio (default 3/4).</param>
/// <param name="MaxRatio">Largest width/height ratio (default 4/3).</param>
public sealed record RandomResizedCrop(double MinScale = 0.08, double MaxScale = 1.0, double MinRatio = 3.0 / 4.0, double MaxRatio = 4.0 / 3.0)
{
    /// <summary>torchvision's defaults: scale (0.08, 1), ratio (3/4, 4/3).</summary>
    public static RandomResizedCrop Default { get; } = new();

    /// <summary>Draws a crop box for an image of the given size.</summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="rng">The random source; advanced by the draw.</param>
    /// <returns>A box inside the image.</returns>
    public CropBox Sample(int width, int height, Xoshiro256StarStar rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var area = (double)width * height;
        var logMin = Math.Log(MinRatio);
        var logMax = Math.Log(MaxRatio);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var targetArea = area * rng.NextDouble(MinScale, MaxScale);
            var aspect = Math.Exp(rng.NextDouble(logMin, logMax));
            // Python's round() rounds halves to even, as Math.Round does by default.
            var w = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            var h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                var top = rng.NextInt(0, height - h + 1);
                var left = rng.NextInt(0, width - w + 1);
                return new CropBox(left, top, w, h);
            }
        }

        // Fallback: the largest centered crop whose ratio is clamped into range.
        var inRatio = (double)width / height;
        var minRatio = Math.Min(MinRatio, MaxRatio);
        var maxRatio = Math.Max(MinRatio, MaxRatio);
        int cw, ch;
        if (inRatio < minRatio)
        {
            cw = width;
            ch = (int)Math.Round(cw / minRatio);
        }
        else if (inRatio > maxRatio)
        {
            ch = height;
            cw = (int)Math.Round(ch * maxRatio);
        }
        else
        {
            cw = width;
            ch = height;
        }
        // Guards degenerate sizes (e.g. a 1-pixel-tall image) that torchvision would turn into an empty crop.
        cw = Math.Clamp(cw, 1, width);
        ch = Math.Clamp(ch, 1, height);
        return new CropBox((width - cw) / 2, (height - ch) / 2, cw, ch);
    }
}
