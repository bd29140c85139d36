using Maple.Imaging;
using SkiaSharp;

namespace Maple.Tests.Imaging;

public sealed class DecoderTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(5, 1)]
    [InlineData(1, 7)]
    [InlineData(7, 3)]
    [InlineData(33, 17)]
    public void LosslessPngRoundTripsAndAlphaIsDroppedNotComposited(int width, int height)
    {
        var rgba = new byte[width * height * 4];
        new Random(width * 100 + height).NextBytes(rgba);
        rgba[3] = 0; // a fully transparent pixel keeps its colour
        var png = EncodePng(width, height, rgba);

        var img = ImageDecoder.Decode(png, "roundtrip.png");

        Assert.Equal(width, img.Width);
        Assert.Equal(height, img.Height);
        for (var i = 0; i < width * height; i++)
        {
            Assert.Equal(rgba[i * 4], img.Pixels[i * 3]);
            Assert.Equal(rgba[i * 4 + 1], img.Pixels[i * 3 + 1]);
            Assert.Equal(rgba[i * 4 + 2], img.Pixels[i * 3 + 2]);
        }
    }

    [Fact]
    public void TruncatedDataInMemoryFailsWithTheGivenName()
    {
        var rgba = new byte[64 * 64 * 4];
        new Random(5).NextBytes(rgba);
        var png = EncodePng(64, 64, rgba);
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png[..(png.Length / 2)], "half.png"));
        Assert.Contains("half.png", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Equal("half.png", e.Path);
    }

    [Fact]
    public void Truncated16BitGrayPngFails()
    {
        var png = File.ReadAllBytes(Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "Imaging", "Data", "decode", "gray16.png"));
        Assert.Equal(37, ImageDecoder.Decode(png, "gray16.png").Width);
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png[..(png.Length / 2)], "gray16_half.png"));
        Assert.Contains("gray16_half.png", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void GarbageFailsWithTheGivenName()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("just some text"u8.ToArray(), "notes.txt"));
        Assert.Contains("notes.txt", e.Message);
        Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode([], "nothing.jpg"));
    }

    [Fact]
    public void ADirectoryIsNotAnImage()
    {
        var dir = Directory.CreateTempSubdirectory("maple-imaging-").FullName;
        try
        {
            var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(dir));
            Assert.Contains(dir, e.Message);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    static byte[] EncodePng(int width, int height, byte[] rgba)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
