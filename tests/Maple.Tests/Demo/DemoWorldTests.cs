using Maple.Demo;

namespace Maple.Tests.Demo;

public sealed class DemoWorldTests
{
    [Fact]
    public void BaseAndNovelSplitTheClassesInHalvesThatShareEveryColourAndShape()
    {
        var world = DemoWorld.Default;

        Assert.Equal(30, world.Classes.Count);
        Assert.Equal(15, world.BaseClasses.Count);
        Assert.Equal(15, world.NovelClasses.Count);
        Assert.Empty(world.BaseClasses.Intersect(world.NovelClasses));
        Assert.Equal([.. world.BaseClasses, .. world.NovelClasses], world.Classes);
        foreach (var half in new[] { world.BaseClasses, world.NovelClasses })
        {
            Assert.Equal(world.Colours.Count, half.Select(c => c.Colour).Distinct().Count());
            Assert.Equal(world.Shapes.Count, half.Select(c => c.Shape).Distinct().Count());
        }
    }

    [Fact]
    public void OodClassesUseShapesThatAppearNowhereElse()
    {
        var world = DemoWorld.Default;

        Assert.Equal(world.Colours.Count * DemoWorld.OodShapes.Count, world.OodClasses.Count);
        Assert.Empty(world.OodClasses.Intersect(world.Classes));
        Assert.Empty(DemoWorld.OodShapes.Intersect(world.Shapes));
        Assert.DoesNotContain("hexagon", world.Describe());
        foreach (var oodClass in world.OodClasses)
        {
            var image = ShapeRenderer.Render(DemoWorld.Sample(oodClass, DemoStyle.Downstream, 32, new Maple.Imaging.Xoshiro256StarStar(3)));
            Assert.Equal(32 * 32 * 3, image.Pixels.Length);
        }
    }

    [Fact]
    public void ClassesAreNamedInWords()
    {
        var names = DemoWorld.Default.Classes.Select(c => c.Name).ToList();

        Assert.Contains("red star", names);
        Assert.Contains("purple heart", names);
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void CaptionsNameTheClass()
    {
        var scene = DemoWorld.Sample(DemoWorld.Default.Classes[0], DemoStyle.Pretraining, 48, new Maple.Imaging.Xoshiro256StarStar(1));
        for (var t = 0; t < DemoCaptions.TemplateCount; t++)
            Assert.Contains(scene.Class.Name, DemoCaptions.Describe(scene, t));
        Assert.Equal($"a photo of a {scene.Class.Name}.", DemoCaptions.Describe(scene, 0));
    }

    [Fact]
    public void PretrainingScenesAreLitByNamedLightsAndTheDownstreamLightIsNoneOfThem()
    {
        var world = DemoWorld.Default;
        var red = world.Classes.First(c => c.Colour.Name == "red");
        var scenes = Enumerable.Range(0, 400).Select(i => DemoWorld.Sample(red, DemoStyle.Pretraining, 32, new Maple.Imaging.Xoshiro256StarStar((ulong)i + 1))).ToList();
        var lit = scenes.Where(s => s.Light is not null).ToList();

        // Half the scenes are lit (400 draws: 200 ± 10 expected; a share of 0 or 1 fails), by every light.
        Assert.InRange(lit.Count, 160, 240);
        Assert.Equal(DemoWorld.PretrainingLights.OrderBy(l => l.Name), lit.Select(s => s.Light!).Distinct().OrderBy(l => l.Name));
        // A lit scene's caption names its light; an unlit one's names none.
        var rng = new Maple.Imaging.Xoshiro256StarStar(7);
        Assert.All(lit, s => Assert.Contains($"{s.Light!.Name} light", DemoCaptions.Describe(s, rng)));
        Assert.All(scenes.Where(s => s.Light is null), s => Assert.DoesNotContain("light", DemoCaptions.Describe(s, rng)));
        // Under a pink light (255, 80, 190) a red fill (215, 35, 35) gains blue: at the weakest strength, 0.15, the mean
        // blue is already 35 + 0.15 · 155 ≈ 58. Unlit fills stay within the class colour's jitter (±20).
        Assert.True(lit.Where(s => s.Light!.Name == "pink").Average(s => s.FillColour.B) > 58);
        Assert.All(scenes.Where(s => s.Light is null), s => Assert.InRange((int)s.FillColour.B, 15, 55));

        // Downstream scenes are lit by the warm light, which no caption names and no pretraining light is.
        Assert.DoesNotContain(DemoWorld.PretrainingLights, l => l.Colour == DemoWorld.DownstreamLight);
        var downstream = DemoWorld.Sample(red, DemoStyle.Downstream, 32, new Maple.Imaging.Xoshiro256StarStar(1));
        Assert.Null(downstream.Light);
        Assert.DoesNotContain("warm", DemoVocabulary.ForWorld(world).Words);
        Assert.Contains("pink", DemoVocabulary.ForWorld(world).Words);
    }
}
