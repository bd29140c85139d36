using Maple.Demo;
using Maple.Imaging;

namespace Maple.Tests.Demo;

public sealed class ShapeRendererTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("maple-demo-render-").FullName;

    [Theory]
    [InlineData(DemoStyle.Pretraining)]
    [InlineData(DemoStyle.Downstream)]
    public void SameSeedGivesTheSamePixels(DemoStyle style)
    {
        foreach (var demoClass in DemoWorld.Default.Classes)
        {
            var first = ShapeRenderer.Render(DemoWorld.Sample(demoClass, style, 48, new Xoshiro256StarStar(7)));
            var second = ShapeRenderer.Render(DemoWorld.Sample(demoClass, style, 48, new Xoshiro256StarStar(7)));
            Assert.Equal(first.Pixels, second.Pixels);
        }
    }

    [Fact]
    public void DifferentSeedsGiveDifferentImages()
    {
        var demoClass = DemoWorld.Default.Classes[0];
        var a = ShapeRenderer.Render(DemoWorld.Sample(demoClass, DemoStyle.Downstream, 48, new Xoshiro256StarStar(1)));
        var b = ShapeRenderer.Render(DemoWorld.Sample(demoClass, DemoStyle.Downstream, 48, new Xoshiro256StarStar(2)));
        Assert.NotEqual(a.Pixels, b.Pixels);
    }

    [Fact]
    public void PngFilesDecodeToTheRenderedPixels()
    {
        var scene = DemoWorld.Sample(DemoWorld.Default.Classes[3], DemoStyle.Downstream, 32, new Xoshiro256StarStar(3));
        var path = Path.Combine(_temp, "scene.png");
        ShapeRenderer.WritePng(scene, path);

        var decoded = ImageDecoder.Decode(path);

        Assert.Equal((32, 32), (decoded.Width, decoded.Height));
        Assert.Equal(ShapeRenderer.Render(scene).Pixels, decoded.Pixels);
    }

    [Fact]
    public void TheShapeTakesTheClassColour()
    {
        // A flat red shape in the pretraining style, under no coloured light: the centre pixel is the class colour
        // (jitter and noise aside).
        var red = DemoWorld.Default.Classes.First(c => c.Name == "red circle");
        var scene = Enumerable.Range(5, 100).Select(seed => DemoWorld.Sample(red, DemoStyle.Pretraining, 48, new Xoshiro256StarStar((ulong)seed)))
            .First(s => s.Light is null && s.Fill == DemoFill.Flat);
        var image = ShapeRenderer.Render(scene);
        var i = ((int)scene.CenterY * 48 + (int)scene.CenterX) * 3;

        Assert.InRange(image.Pixels[i], 170, 255);
        Assert.InRange(image.Pixels[i + 1], 0, 70);
        Assert.InRange(image.Pixels[i + 2], 0, 70);
    }

    [Fact]
    public void RenderedSplitsAreDeterministicAndLabelled()
    {
        var world = DemoWorld.Default;
        var (first, scenes) = DemoImages.Render(Path.Combine(_temp, "a"), world.BaseClasses, DemoStyle.Downstream, 2, 32, 4, "train");
        var (second, _) = DemoImages.Render(Path.Combine(_temp, "b"), world.BaseClasses, DemoStyle.Downstream, 2, 32, 4, "train");

        Assert.Equal(world.BaseClasses.Count * 2, first.Items.Count);
        Assert.Equal(world.BaseClasses.Select(c => c.Name), first.ClassNames);
        Assert.All(first.Items.Zip(scenes), pair => Assert.Equal(world.BaseClasses[pair.First.Label], pair.Second.Class));
        for (var i = 0; i < first.Items.Count; i++)
            Assert.Equal(File.ReadAllBytes(first.Items[i].Path), File.ReadAllBytes(second.Items[i].Path));
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);
}
