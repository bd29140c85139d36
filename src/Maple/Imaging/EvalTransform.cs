using TorchSharp;

namespace Maple.Imaging;

/// <summary>
/// CLIP's evaluation preprocessing: resize the shorter side to <see cref="ImageSize"/> with Pillow bicubic (the
/// longer side becomes <c>int(size * long / short)</c>), center-crop to a square, scale to [0, 1] and normalise.
/// Reproduces torchvision's <c>Resize(size, BICUBIC)</c> + <c>CenterCrop(size)</c> on a Pillow image byte for byte.
/// Instances are immutable and safe to share between threads.
/// </summary>
public sealed class EvalTransform
{
    readonly float[] lookup;

    /// <summary>Creates the transform.</summary>
    /// <param name="imageSize">Output side length in pixels (224 for CLIP ViT-B/16).</param>
    /// <param name="norm">Normalisation; <see cref="ImageNormalization.Clip"/> when null.</param>
    public EvalTransform(int imageSize = 224, ImageNormalization? norm = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        ImageSize = imageSize;
        Normalization = norm ?? ImageNormalization.Clip;
        lookup = Normalization.BuildLookupTable();
    }

    /// <summary>Output side length in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>The normalisation applied by <see cref="ToChw(RgbImage)"/>.</summary>
    public ImageNormalization Normalization { get; }

    /// <summary>
    /// The size that torchvision's <c>Resize(size)</c> gives an image: the shorter side becomes
    /// <paramref name="size"/>, the longer <c>int(size * long / short)</c> (truncated).
    /// </summary>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="size">Target length of the shorter side.</param>
    /// <returns>The resized width and height.</returns>
    public static (int Width, int Height) ShorterSideSize(int width, int height, int size)
    {
        if (width <= height)
            return (size, (int)((double)((long)size * height) / width));
        return ((int)((double)((long)size * width) / height), size);
    }

    /// <summary>
    /// torchvision's <c>CenterCrop</c> offsets: <c>round((h - size) / 2)</c> and <c>round((w - size) / 2)</c> with
    /// Python's round-half-to-even.
    /// </summary>
    /// <param name="width">Image width, at least <paramref name="size"/>.</param>
    /// <param name="height">Image height, at least <paramref name="size"/>.</param>
    /// <param name="size">Crop side length.</param>
    /// <returns>The crop rectangle.</returns>
    public static CropBox CenterCrop(int width, int height, int size)
    {
        var top = (int)Math.Round((height - size) / 2.0, MidpointRounding.ToEven);
        var left = (int)Math.Round((width - size) / 2.0, MidpointRounding.ToEven);
        return new CropBox(left, top, size, size);
    }

    /// <summary>Resizes and center-crops to <see cref="ImageSize"/> squared, in bytes.</summary>
    /// <param name="img">The decoded image.</param>
    /// <returns>A new <see cref="ImageSize"/> x <see cref="ImageSize"/> image.</returns>
    public RgbImage Apply(RgbImage img)
    {
        ArgumentNullException.ThrowIfNull(img);
        var (w, h) = ShorterSideSize(img.Width, img.Height, ImageSize);
        // Only the center square of the resized image is computed; the result is the same bytes.
        return PillowResize.ResizeRegion(img, w, h, CenterCrop(w, h, ImageSize));
    }

    /// <summary>Resizes, crops and normalises into a new CHW float array of <c>3 * ImageSize * ImageSize</c>.</summary>
    /// <param name="img">The decoded image (any size).</param>
    public float[] ToChw(RgbImage img)
    {
        var result = new float[3 * ImageSize * ImageSize];
        ToChw(img, result);
        return result;
    }

    /// <summary>Resizes, crops and normalises into <paramref name="dest"/> (CHW, <c>3 * ImageSize * ImageSize</c> floats).</summary>
    /// <param name="img">The decoded image (any size).</param>
    /// <param name="dest">Where to write.</param>
    public void ToChw(RgbImage img, Span<float> dest)
    {
        ArgumentNullException.ThrowIfNull(img);
        var square = img.Width == ImageSize && img.Height == ImageSize ? img : Apply(img);
        ChwWriter.Write(square, lookup, dest);
    }

    /// <summary>Decodes the file and transforms it (the path the benchmark measures).</summary>
    /// <param name="path">The image file.</param>
    /// <returns>Normalised CHW floats, <c>3 * ImageSize * ImageSize</c>.</returns>
    /// <exception cref="ImageDecodeException">The file cannot be decoded.</exception>
    public float[] LoadChw(string path) => ToChw(ImageDecoder.Decode(path));

    /// <summary>Decodes the file and returns a float32 tensor <c>[3, ImageSize, ImageSize]</c> on the CPU.</summary>
    /// <param name="path">The image file.</param>
    /// <exception cref="ImageDecodeException">The file cannot be decoded.</exception>
    public torch.Tensor Load(string path) =>
        torch.tensor(LoadChw(path), [3, ImageSize, ImageSize], torch.float32);

    /// <summary>
    /// Decodes and transforms many files into one float32 tensor <c>[N, 3, ImageSize, ImageSize]</c>, in the order
    /// given. Files are processed on up to <paramref name="maxParallelism"/> threads; the result does not depend
    /// on it.
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="maxParallelism">Threads to use (1 = the calling thread only).</param>
    /// <exception cref="ImageDecodeException">A file cannot be decoded (the first failure in path order is reported).</exception>
    public torch.Tensor LoadBatch(IReadOnlyList<string> paths, int maxParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return BatchTensor.Create(paths.Count, ImageSize, maxParallelism, (i, chw) => ToChw(ImageDecoder.Decode(paths[i]), chw));
    }
}
