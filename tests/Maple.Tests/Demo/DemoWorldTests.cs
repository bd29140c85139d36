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
}
