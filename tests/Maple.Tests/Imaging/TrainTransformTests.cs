using Maple.Imaging;

namespace Maple.Tests.Imaging;

public sealed class TrainTransformTests
{
    static string ImagePath(string name) => Path.Combine(Fixtures.Preprocess, "images", name);

    static readonly Lazy<RgbImage> chelsea = new(() => ImageDecoder.Decode(ImagePath("chelsea.png")));

    [Fact]
    public void SameSeedSameOutput()
    {
        var transform = new TrainTransform();
        var a = transform.ToChw(chelsea.Value, new Xoshiro256StarStar(5));
        var b = transform.ToChw(chelsea.Value, new Xoshiro256StarStar(5));
        Assert.Equal(a, b);
        Assert.Equal(3 * 224 * 224, a.Length);

        using var t1 = transform.Load(ImagePath("chelsea.png"), new Xoshiro256StarStar(5));
        Assert.Equal([3L, 224, 224], t1.shape);
        Assert.Equal(a, t1.data<float>().ToArray());
    }

    [Fact]
    public void DifferentSeedsDiffer()
    {
        var transform = new TrainTransform();
        var outputs = Enumerable.Range(0, 5).Select(s => transform.Apply(chelsea.Value, new Xoshiro256StarStar((ulong)s)).Pixels).ToList();
        for (var i = 0; i < outputs.Count; i++)
        {
            for (var j = i + 1; j < outputs.Count; j++)
                Assert.NotEqual(outputs[i], outputs[j]);
        }
        // Successive draws from one generator differ too.
        var rng = new Xoshiro256StarStar(9);
        Assert.NotEqual(transform.Apply(chelsea.Value, rng).Pixels, transform.Apply(chelsea.Value, rng).Pixels);
    }

    [Theory]
    [InlineData(451, 300)]
    [InlineData(500, 500)]
    [InlineData(224, 224)]
    [InlineData(30, 40)]
    [InlineData(3, 2)]
    public void CropBoxesLieInTheImageWithAreaAndRatioInRange(int width, int height)
    {
        var rng = new Xoshiro256StarStar(123);
        var area = (double)width * height;
        var sampled = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var box = RandomResizedCrop.Default.Sample(width, height, rng);
            Assert.True(box.FitsIn(width, height), $"{box} outside {width}x{height}");
            if (IsFallback(box, width, height))
                continue;
            sampled++;
            // w = round(sqrt(a r)), h = round(sqrt(a / r)) with a in [0.08, 1] * area and r in [3/4, 4/3]:
            // undoing the rounding by half a pixel either way must reach those ranges.
            double w = box.Width, h = box.Height;
            Assert.True((w + 0.5) * (h + 0.5) >= 0.08 * area - 1e-9, $"{box}: area too small");
            Assert.True((w - 0.5) * (h - 0.5) <= area + 1e-9, $"{box}: area too large");
            Assert.True((w + 0.5) / (h - 0.5) >= 0.75 - 1e-12 || h <= 0.5, $"{box}: ratio too small");
            Assert.True((w - 0.5) / (h + 0.5) <= 4.0 / 3.0 + 1e-12, $"{box}: ratio too large");
        }
        if (width >= 30)
            Assert.True(sampled > 19_000, $"only {sampled} sampled boxes");
    }

    // The fallback's center crop (whole image when the ratio is in range).
    static bool IsFallback(CropBox box, int width, int height) =>
        box == new CropBox(0, 0, width, height);

    [Fact]
    public void PositionsAndScalesAreSpread()
    {
        var rng = new Xoshiro256StarStar(77);
        var lefts = new HashSet<int>();
        var widths = new HashSet<int>();
        var flips = 0;
        var transform = new TrainTransform();
        for (var i = 0; i < 4000; i++)
        {
            var aug = transform.Sample(451, 300, rng);
            lefts.Add(aug.Box.Left);
            widths.Add(aug.Box.Width);
            if (aug.Flip)
                flips++;
        }
        Assert.True(lefts.Count > 300);
        Assert.True(widths.Count > 250);
        Assert.InRange(flips, 1800, 2200);
    }

    [Theory]
    [InlineData(1000, 10, 493, 0, 13, 10)]
    [InlineData(10, 1000, 0, 493, 10, 13)]
    [InlineData(2000, 1, 999, 0, 1, 1)]
    public void ExtremeAspectFallsBackToClampedCenterCrop(int width, int height, int left, int top, int w, int h)
    {
        var rng = new Xoshiro256StarStar(1);
        for (var i = 0; i < 100; i++)
            Assert.Equal(new CropBox(left, top, w, h), RandomResizedCrop.Default.Sample(width, height, rng));
    }

    [Fact]
    public void FallbackKeepsWholeImageWhenRatioIsInRange()
    {
        // A scale range no box can reach forces the fallback on a normal image.
        var impossible = new RandomResizedCrop(MinScale: 2.0, MaxScale: 3.0);
        Assert.Equal(new CropBox(0, 0, 400, 300), impossible.Sample(400, 300, new Xoshiro256StarStar(4)));
    }

    [Fact]
    public void FlipMirrorsTheResizedCrop()
    {
        var transform = new TrainTransform();
        var box = new CropBox(40, 30, 200, 150);
        var plain = transform.Apply(chelsea.Value, new TrainAugmentation(box, false));
        var flipped = transform.Apply(chelsea.Value, new TrainAugmentation(box, true));
        Assert.Equal(plain.FlipHorizontal().Pixels, flipped.Pixels);
        Assert.NotEqual(plain.Pixels, flipped.Pixels);

        // The float path mirrors the same way.
        var chwPlain = new float[3 * 224 * 224];
        var chwFlipped = new float[3 * 224 * 224];
        transform.ToChw(chelsea.Value, new TrainAugmentation(box, false), chwPlain);
        transform.ToChw(chelsea.Value, new TrainAugmentation(box, true), chwFlipped);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < 224; y++)
            {
                for (var x = 0; x < 224; x++)
                    Assert.Equal(chwPlain[(c * 224 + y) * 224 + x], chwFlipped[(c * 224 + y) * 224 + 223 - x]);
            }
        }
    }

    [Fact]
    public void CropIsResizedLikePillowCropThenResize()
    {
        var transform = new TrainTransform(flip: false);
        var box = new CropBox(17, 9, 123, 201);
        var expected = PillowResize.Resize(chelsea.Value.Crop(17, 9, 123, 201), 224, 224);
        Assert.Equal(expected.Pixels, transform.Apply(chelsea.Value, new TrainAugmentation(box, false)).Pixels);
        // Without flipping no draw is spent on it: the generator advances only for the box.
        var a = new Xoshiro256StarStar(8);
        var b = new Xoshiro256StarStar(8);
        transform.Sample(451, 300, a);
        RandomResizedCrop.Default.Sample(451, 300, b);
        Assert.Equal(a.State, b.State);
    }

    [Fact]
    public void NormalisesLikeTorchvision()
    {
        var transform = new TrainTransform(flip: false);
        var box = new CropBox(0, 0, 224, 224);
        var bytes = transform.Apply(chelsea.Value, new TrainAugmentation(box, false));
        var chw = new float[3 * 224 * 224];
        transform.ToChw(chelsea.Value, new TrainAugmentation(box, false), chw);
        var mean = ImageNormalization.Clip.Mean;
        var std = ImageNormalization.Clip.Std;
        for (var p = 0; p < 224 * 224; p++)
        {
            for (var c = 0; c < 3; c++)
                Assert.Equal((bytes.Pixels[p * 3 + c] / 255f - mean[c]) / std[c], chw[c * 224 * 224 + p]);
        }
    }

    [Fact]
    public void BatchEqualsSequentialLoadsForAnyParallelism()
    {
        var paths = new[] { "chelsea.png", "rocket.jpg", "camera.png", "wide_600x100.png" }.Select(ImagePath).ToList();
        var transform = new TrainTransform();
        var rng = new Xoshiro256StarStar(21);
        var sequential = new List<float[]>();
        foreach (var path in paths)
        {
            using var t = transform.Load(path, rng);
            sequential.Add(t.data<float>().ToArray());
        }
        var afterSequential = rng.State;

        foreach (var parallelism in new[] { 1, 2 })
        {
            var batchRng = new Xoshiro256StarStar(21);
            using var batch = transform.LoadBatch(paths, batchRng, parallelism);
            Assert.Equal([4L, 3, 224, 224], batch.shape);
            var all = batch.data<float>().ToArray();
            for (var i = 0; i < paths.Count; i++)
                Assert.Equal(sequential[i], all.AsSpan(i * 3 * 224 * 224, 3 * 224 * 224).ToArray());
            Assert.Equal(afterSequential, batchRng.State);
        }
    }
}
