using Maple.Imaging;

namespace Maple.Tests.Imaging;

public sealed class ResizeTests
{
    static RgbImage Noise(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 23)]
    [InlineData(224, 224)]
    public void ResizeToOwnSizeIsIdentity(int width, int height)
    {
        var src = Noise(width, height, 1);
        var got = PillowResize.Resize(src, width, height);
        Assert.Equal(src.Pixels, got.Pixels);
        Assert.NotSame(src.Pixels, got.Pixels);
    }

    [Theory]
    [InlineData(500, 375, 224, 224)]
    [InlineData(640, 427, 298, 224)]
    [InlineData(1000, 10, 7, 3)]
    [InlineData(31, 17, 224, 224)]
    [InlineData(300, 200, 450, 50)]
    public void ConstantImageStaysConstant(int width, int height, int outWidth, int outHeight)
    {
        foreach (var colour in new byte[][] { [0, 0, 0], [255, 255, 255], [12, 200, 97] })
        {
            var src = new RgbImage(width, height);
            for (var i = 0; i < src.Pixels.Length; i += 3)
                colour.CopyTo(src.Pixels, i);
            var got = PillowResize.Resize(src, outWidth, outHeight);
            for (var i = 0; i < got.Pixels.Length; i += 3)
            {
                if (got.Pixels[i] != colour[0] || got.Pixels[i + 1] != colour[1] || got.Pixels[i + 2] != colour[2])
                    Assert.Fail($"pixel {i / 3} is ({got.Pixels[i]}, {got.Pixels[i + 1]}, {got.Pixels[i + 2]}), expected ({colour[0]}, {colour[1]}, {colour[2]})");
            }
        }
    }

    [Fact]
    public void RegionEqualsCropOfFullResize()
    {
        var src = Noise(500, 375, 2);
        var full = PillowResize.Resize(src, 298, 224);
        var crop = EvalTransform.CenterCrop(298, 224, 224);
        Assert.Equal(new CropBox(37, 0, 224, 224), crop);
        Assert.Equal(full.Crop(37, 0, 224, 224).Pixels, PillowResize.ResizeRegion(src, 298, 224, crop).Pixels);
        Assert.Equal(full.Crop(37, 0, 224, 224).Pixels, new EvalTransform(224).Apply(src).Pixels);
    }

    [Fact]
    public void SizeAndCropFollowTorchvision()
    {
        Assert.Equal((298, 224), EvalTransform.ShorterSideSize(500, 375, 224));
        Assert.Equal((224, 298), EvalTransform.ShorterSideSize(375, 500, 224));
        Assert.Equal((224, 224), EvalTransform.ShorterSideSize(10, 10, 224));
        Assert.Equal((1344, 224), EvalTransform.ShorterSideSize(600, 100, 224));
        Assert.Equal((336, 224), EvalTransform.ShorterSideSize(451, 300, 224)); // int(336.74...)
        // Python's round(): halves go to the even neighbour.
        Assert.Equal(new CropBox(0, 0, 224, 224), EvalTransform.CenterCrop(225, 225, 224));   // round(0.5) = 0
        Assert.Equal(new CropBox(2, 2, 224, 224), EvalTransform.CenterCrop(227, 227, 224));   // round(1.5) = 2
        Assert.Equal(new CropBox(2, 0, 224, 224), EvalTransform.CenterCrop(229, 224, 224));   // round(2.5) = 2
    }

    [Fact]
    public void InvalidArgumentsAreRejected()
    {
        var src = Noise(10, 10, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResize.Resize(src, 0, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResize.Resize(src, 5, 5, new ResizeBox(-1, 0, 5, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResize.Resize(src, 5, 5, new ResizeBox(0, 0, 11, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResize.Resize(src, 5, 5, new ResizeBox(3, 0, 3, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PillowResize.ResizeRegion(src, 5, 5, new CropBox(1, 1, 5, 1)));
        Assert.Throws<ArgumentException>(() => new RgbImage(2, 2, new byte[11]));
    }
}
