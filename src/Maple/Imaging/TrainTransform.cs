using TorchSharp;

namespace Maple.Imaging;

/// <summary>
/// CLIP/MaPLe training augmentation, as torchvision composes it on a Pillow image: <c>RandomResizedCrop(size,
/// scale=(0.08, 1), ratio=(3/4, 4/3), BICUBIC)</c> (crop, then Pillow-bicubic resize of the crop), then
/// <c>RandomHorizontalFlip(0.5)</c>, then <c>ToTensor</c> and <c>Normalize</c>.
/// </summary>
/// <remarks>
/// All randomness comes from the <see cref="Xoshiro256StarStar"/> passed in, drawn in a fixed order per image (the
/// crop box, then one draw for the flip when flipping is enabled), so a run is reproducible from its seed and
/// resumable from the generator's saved <see cref="Xoshiro256StarStar.State"/>. Instances are immutable and
/// thread-safe; generators are not.
/// </remarks>
public sealed class TrainTransform
{
    readonly float[] lookup;

    /// <summary>Creates the transform.</summary>
    /// <param name="imageSize">Output side length in pixels.</param>
    /// <param name="norm">Normalisation; <see cref="ImageNormalization.Clip"/> when null.</param>
    /// <param name="flip">Whether to mirror with probability 0.5.</param>
    /// <param name="crop">Crop scale and ratio ranges; <see cref="RandomResizedCrop.Default"/> when null.</param>
    public TrainTransform(int imageSize = 224, ImageNormalization? norm = null, bool flip = true, RandomResizedCrop? crop = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        ImageSize = imageSize;
        Normalization = norm ?? ImageNormalization.Clip;
        Flip = flip;
        Crop = crop ?? RandomResizedCrop.Default;
        lookup = Normalization.BuildLookupTable();
    }

    /// <summary>Output side length in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>The normalisation applied to the output.</summary>
    public ImageNormalization Normalization { get; }

    /// <summary>Whether horizontal flipping (p = 0.5) is enabled.</summary>
    public bool Flip { get; }

    /// <summary>The crop-box sampler.</summary>
    public RandomResizedCrop Crop { get; }

    /// <summary>
    /// Draws the random choices for an image of the given size: the crop box, then (if <see cref="Flip"/>)
    /// one uniform draw, flipping when it is below 0.5.
    /// </summary>
    /// <param name="width">Decoded image width.</param>
    /// <param name="height">Decoded image height.</param>
    /// <param name="rng">The random source; advanced.</param>
    public TrainAugmentation Sample(int width, int height, Xoshiro256StarStar rng)
    {
        var box = Crop.Sample(width, height, rng);
        var flip = Flip && rng.NextDouble() < 0.5;
        return new TrainAugmentation(box, flip);
    }

    /// <summary>Applies given choices: crops, resizes the crop to <see cref="ImageSize"/> squared (Pillow bicubic), mirrors if chosen.</summary>
    /// <param name="img">The decoded image.</param>
    /// <param name="augmentation">The choices, e.g. from <see cref="Sample"/>.</param>
    /// <returns>The augmented image in bytes.</returns>
    public RgbImage Apply(RgbImage img, TrainAugmentation augmentation)
    {
        var resized = Resize(img, augmentation.Box);
        return augmentation.Flip ? resized.FlipHorizontal() : resized;
    }

    /// <summary>Draws choices with <paramref name="rng"/> and applies them.</summary>
    /// <param name="img">The decoded image.</param>
    /// <param name="rng">The random source; advanced.</param>
    /// <returns>The augmented image in bytes.</returns>
    public RgbImage Apply(RgbImage img, Xoshiro256StarStar rng)
    {
        ArgumentNullException.ThrowIfNull(img);
        return Apply(img, Sample(img.Width, img.Height, rng));
    }

    /// <summary>Applies given choices and writes normalised CHW floats into <paramref name="dest"/> (<c>3 * ImageSize^2</c>).</summary>
    /// <param name="img">The decoded image.</param>
    /// <param name="augmentation">The choices.</param>
    /// <param name="dest">Where to write.</param>
    public void ToChw(RgbImage img, TrainAugmentation augmentation, Span<float> dest) =>
        ChwWriter.Write(Resize(img, augmentation.Box), lookup, dest, augmentation.Flip);

    /// <summary>Augments and normalises into a new CHW float array (<c>3 * ImageSize^2</c>).</summary>
    /// <param name="img">The decoded image.</param>
    /// <param name="rng">The random source; advanced.</param>
    public float[] ToChw(RgbImage img, Xoshiro256StarStar rng)
    {
        ArgumentNullException.ThrowIfNull(img);
        var result = new float[3 * ImageSize * ImageSize];
        ToChw(img, Sample(img.Width, img.Height, rng), result);
        return result;
    }

    /// <summary>Decodes the file and augments it into a float32 tensor <c>[3, ImageSize, ImageSize]</c>.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="rng">The random source; advanced.</param>
    /// <exception cref="ImageDecodeException">The file cannot be decoded.</exception>
    public torch.Tensor Load(string path, Xoshiro256StarStar rng) =>
        torch.tensor(ToChw(ImageDecoder.Decode(path), rng), [3, ImageSize, ImageSize], torch.float32);

    /// <summary>
    /// Decodes and augments many files into one float32 tensor <c>[N, 3, ImageSize, ImageSize]</c>. The random
    /// choices are drawn in path order on the calling thread, so the result is the same for any
    /// <paramref name="maxParallelism"/> and equals calling <see cref="Load"/> for each path in turn.
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="rng">The random source; advanced.</param>
    /// <param name="maxParallelism">Threads for decoding and resizing (1 = the calling thread only).</param>
    /// <exception cref="ImageDecodeException">A file cannot be decoded (the first failure in path order is reported).</exception>
    public torch.Tensor LoadBatch(IReadOnlyList<string> paths, Xoshiro256StarStar rng, int maxParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(rng);
        if (maxParallelism == 1)
        {
            return BatchTensor.Create(paths.Count, ImageSize, 1, (i, chw) =>
            {
                var img = ImageDecoder.Decode(paths[i]);
                ToChw(img, Sample(img.Width, img.Height, rng), chw);
            });
        }

        // Decode in parallel, draw in order, then resize in parallel: the draws only need the sizes.
        var images = new RgbImage[paths.Count];
        BatchRunner.For(paths.Count, maxParallelism, i => images[i] = ImageDecoder.Decode(paths[i]));
        var choices = new TrainAugmentation[paths.Count];
        for (var i = 0; i < paths.Count; i++)
            choices[i] = Sample(images[i].Width, images[i].Height, rng);
        return BatchTensor.Create(paths.Count, ImageSize, maxParallelism, (i, chw) => ToChw(images[i], choices[i], chw));
    }

    // torchvision crops first and resizes the crop, so filter taps never reach pixels outside the box.
    RgbImage Resize(RgbImage img, CropBox box)
    {
        ArgumentNullException.ThrowIfNull(img);
        if (!box.FitsIn(img.Width, img.Height))
            throw new ArgumentOutOfRangeException(nameof(box), $"Crop {box} is not inside the {img.Width}x{img.Height} image.");
        var cropped = box.Width == img.Width && box.Height == img.Height ? img : img.Crop(box.Left, box.Top, box.Width, box.Height);
        return PillowResize.Resize(cropped, ImageSize, ImageSize);
    }
}
