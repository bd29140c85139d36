using Maple.Imaging;

namespace Maple.Tests.Imaging;

public sealed class FixtureTests
{
    static string ImagePath(string name) => Path.Combine(Fixtures.Preprocess, "images", name);

    public static TheoryData<string> GoodImages()
    {
        var data = new TheoryData<string>();
        foreach (var name in ExpectedTensors.Preprocess.Keys.Order(StringComparer.Ordinal))
            data.Add(name);
        return data;
    }

    public static TheoryData<string> BrokenImages()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(Fixtures.Preprocess, "images"), "broken_*").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Fact]
    public void EveryImageIsEitherExpectedOrBroken()
    {
        var files = Directory.GetFiles(Path.Combine(Fixtures.Preprocess, "images")).Select(Path.GetFileName).ToList();
        Assert.True(files.Count > 10);
        foreach (var name in files)
            Assert.True(name!.StartsWith("broken_", StringComparison.Ordinal) || ExpectedTensors.Preprocess.ContainsKey(name), name);
        Assert.Equal(3, BrokenImages().Count);
    }

    [Theory]
    [MemberData(nameof(GoodImages))]
    public void EvalTransformMatchesPillowExactly(string name)
    {
        var expected = ExpectedTensors.Preprocess[name];
        Assert.Equal("U8", expected.DType);
        Assert.Equal([224L, 224, 3], expected.Shape);

        var got = new EvalTransform().Apply(ImageDecoder.Decode(ImagePath(name)));

        Assert.Equal(224, got.Width);
        Assert.Equal(224, got.Height);
        var differing = 0;
        var maxDiff = 0;
        var firstAt = -1;
        for (var i = 0; i < got.Pixels.Length; i++)
        {
            var d = Math.Abs(got.Pixels[i] - expected.Data[i]);
            if (d == 0)
                continue;
            if (firstAt < 0)
                firstAt = i;
            differing++;
            maxDiff = Math.Max(maxDiff, d);
        }
        Assert.True(differing == 0,
            $"{name}: {differing} of {got.Pixels.Length} bytes differ, max |diff| {maxDiff}, first at pixel ({firstAt / 3 % 224}, {firstAt / 3 / 224}) channel {firstAt % 3}");
    }

    [Theory]
    [MemberData(nameof(BrokenImages))]
    public void BrokenFilesFailNamingTheFile(string name)
    {
        var path = ImagePath(name);
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Contains(name, e.Message);
        Assert.Equal(path, e.Path);
        Assert.IsAssignableFrom<IOException>(e);
        // The transform's file loader reports the same error.
        var viaLoad = Assert.Throws<ImageDecodeException>(() => new EvalTransform().LoadChw(path));
        Assert.Contains(name, viaLoad.Message);
    }

    [Fact]
    public void BrokenMessagesSayWhatIsWrong()
    {
        Assert.Contains("empty", Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(ImagePath("broken_empty.jpg"))).Message);
        Assert.Contains("truncated", Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(ImagePath("broken_truncated.jpg"))).Message);
        Assert.Contains("not a recognised image", Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(ImagePath("broken_not_an_image.png"))).Message);
    }

    [Fact]
    public void MissingFileFailsNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"maple-missing-{Guid.NewGuid():N}.jpg");
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void NormalisedOutputMatchesExpectedOverStd()
    {
        const string name = "chelsea.png";
        var expected = ExpectedTensors.Preprocess[name].Data;
        var transform = new EvalTransform();
        var chw = transform.LoadChw(ImagePath(name));
        var mean = new[] { 0.48145466, 0.4578275, 0.40821073 };
        var std = new[] { 0.26862954, 0.26130258, 0.27577711 };
        Assert.Equal(3 * 224 * 224, chw.Length);
        var worst = 0.0;
        for (var c = 0; c < 3; c++)
        {
            for (var p = 0; p < 224 * 224; p++)
            {
                var reference = (expected[p * 3 + c] / 255.0 - mean[c]) / std[c];
                worst = Math.Max(worst, Math.Abs(chw[c * 224 * 224 + p] - reference));
            }
        }
        Assert.True(worst <= 1e-6, $"max |diff| {worst}");

        using var tensor = transform.Load(ImagePath(name));
        Assert.Equal([3L, 224, 224], tensor.shape);
        Assert.Equal(TorchSharp.torch.float32, tensor.dtype);
        Assert.Equal(chw, tensor.data<float>().ToArray());
    }

    [Fact]
    public void BatchStacksInOrder()
    {
        var names = new[] { "chelsea.png", "camera.png", "rocket.jpg" };
        var transform = new EvalTransform();
        using var batch = transform.LoadBatch(names.Select(ImagePath).ToList(), maxParallelism: 2);
        Assert.Equal([3L, 3, 224, 224], batch.shape);
        var all = batch.data<float>().ToArray();
        for (var i = 0; i < names.Length; i++)
            Assert.Equal(transform.LoadChw(ImagePath(names[i])), all.AsSpan(i * 3 * 224 * 224, 3 * 224 * 224).ToArray());
    }

    [Fact]
    public void BatchReportsTheBrokenFile()
    {
        var paths = new[] { ImagePath("chelsea.png"), ImagePath("broken_truncated.jpg"), ImagePath("broken_empty.jpg") };
        var e = Assert.Throws<ImageDecodeException>(() => new EvalTransform().LoadBatch(paths, maxParallelism: 2).Dispose());
        Assert.Contains("broken_truncated.jpg", e.Message);
    }
}
