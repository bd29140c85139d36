using Maple.Imaging;

namespace Maple.Demo;

/// <summary>
/// The demo's world: every colour × shape is a class. The classes are listed base first, then novel,
/// split like a checkerboard (colour index + shape index even = base) so that both halves hold every
/// colour and every shape and only the combinations are new. Scenes are drawn from a seeded generator,
/// in the pretraining style or in the shifted downstream style.
/// </summary>
public sealed class DemoWorld
{
    /// <summary>Creates a world of <paramref name="colours"/> × <paramref name="shapes"/>.</summary>
    public DemoWorld(IReadOnlyList<DemoColour> colours, IReadOnlyList<DemoShape> shapes)
    {
        if (colours.Count == 0 || shapes.Count == 0)
            throw new ArgumentException("the demo world needs at least one colour and one shape");
        Colours = colours;
        Shapes = shapes;
        var all = colours.SelectMany((c, ci) => shapes.Select((s, si) => (Class: new DemoClass(c, s), IsBase: (ci + si) % 2 == 0))).ToList();
        BaseClasses = all.Where(x => x.IsBase).Select(x => x.Class).ToList();
        NovelClasses = all.Where(x => !x.IsBase).Select(x => x.Class).ToList();
        Classes = [.. BaseClasses, .. NovelClasses];
        OodClasses = colours.SelectMany(c => OodShapes.Select(s => new DemoClass(c, s))).ToList();
    }

    /// <summary>
    /// Shapes that appear nowhere in pretraining, prompt learning or the base-to-novel task: the demo draws
    /// them, in the world's colours, as the out-of-distribution images of its OOD table.
    /// </summary>
    public static IReadOnlyList<DemoShape> OodShapes { get; } = [DemoShape.Hexagon, DemoShape.Arrow];

    /// <summary>The out-of-distribution classes: every colour with every <see cref="OodShapes">OOD shape</see>.</summary>
    public IReadOnlyList<DemoClass> OodClasses { get; }

    /// <summary>Changes whenever the drawing of scenes changes, so that cached models are pretrained anew.</summary>
    public const int StyleVersion = 3;

    /// <summary>Five well-separated colours and six shapes: 30 classes, 15 base and 15 novel.</summary>
    public static DemoWorld Default { get; } = new(
        [
            new DemoColour("red", 215, 35, 35),
            new DemoColour("green", 30, 160, 60),
            new DemoColour("blue", 35, 75, 215),
            new DemoColour("yellow", 240, 205, 25),
            new DemoColour("purple", 140, 50, 185),
        ],
        [DemoShape.Circle, DemoShape.Square, DemoShape.Triangle, DemoShape.Star, DemoShape.Cross, DemoShape.Heart]);

    /// <summary>The colours.</summary>
    public IReadOnlyList<DemoColour> Colours { get; }

    /// <summary>The shapes.</summary>
    public IReadOnlyList<DemoShape> Shapes { get; }

    /// <summary>Every class: the base classes, then the novel ones.</summary>
    public IReadOnlyList<DemoClass> Classes { get; }

    /// <summary>The classes prompts are trained on.</summary>
    public IReadOnlyList<DemoClass> BaseClasses { get; }

    /// <summary>The classes prompts never see in training.</summary>
    public IReadOnlyList<DemoClass> NovelClasses { get; }

    /// <summary>A short description of the world, for cache keys and reports.</summary>
    public string Describe() =>
        string.Join(",", Colours.Select(c => $"{c.Name}:{c.R}/{c.G}/{c.B}")) + ";" + string.Join(",", Shapes.Select(DemoClass.ShapeWord));

    /// <summary>Draws a scene of <paramref name="demoClass"/> in <paramref name="style"/>, <paramref name="size"/> pixels square.</summary>
    public static DemoScene Sample(DemoClass demoClass, DemoStyle style, int size, Xoshiro256StarStar rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        var downstream = style == DemoStyle.Downstream;
        var radius = size * rng.NextDouble(0.25, 0.40);
        var margin = radius * 1.05;
        var centerX = rng.NextDouble(margin, size - margin);
        var centerY = rng.NextDouble(margin, size - margin);
        var rotation = rng.NextDouble(-1, 1) * (downstream ? 45 : 20);
        var fillColour = Jitter(demoClass.Colour, 20, rng);

        // Pretraining sees flat and patterned shapes on plain or gradient backgrounds, so the features it
        // learns follow the shape rather than one look. The downstream task keeps the shapes but changes
        // the scene around them: busy backgrounds of checks and blobs that pretraining never showed,
        // stronger patterns, outlines, larger turns and more noise.
        var fill = rng.NextDouble() < (downstream ? 0.75 : 0.5) ? (DemoFill)rng.NextInt(1, 4) : DemoFill.Flat;
        var patternColour = Tint(fillColour, rng.NextDouble() < 0.5 ? 255 : 0, downstream ? rng.NextDouble(0.3, 0.55) : rng.NextDouble(0.2, 0.45));
        var period = size * rng.NextDouble(0.14, 0.22);
        var angle = rng.NextDouble(0, 180);
        var outline = downstream && rng.NextDouble() < 0.4 ? size * rng.NextDouble(0.03, 0.05) : 0;
        var outlineColour = Grey(rng.NextDouble(20, 70), 6, rng);
        DemoBackground background;
        DemoRgb backgroundA, backgroundB;
        if (downstream)
        {
            background = rng.NextDouble() < 0.5 ? DemoBackground.Checks : DemoBackground.Blobs;
            (backgroundA, backgroundB) = (Muted(rng), Muted(rng));
        }
        else
        {
            background = rng.NextDouble() < 0.5 ? DemoBackground.Plain : DemoBackground.Gradient;
            var light = rng.NextDouble() < 0.7;
            (backgroundA, backgroundB) = (Level(light, rng), Level(light, rng));
        }
        var noise = downstream ? rng.NextDouble(8, 16) : rng.NextDouble(0, 5);
        return new DemoScene(demoClass, style, size, background, backgroundA, backgroundB, rng.NextUInt64(),
            centerX, centerY, radius, rotation, fillColour, fill, patternColour, period, angle, outline, outlineColour,
            noise, rng.NextUInt64());
    }

    static DemoRgb Level(bool light, Xoshiro256StarStar rng) => Grey(light ? rng.NextDouble(160, 245) : rng.NextDouble(15, 90), 10, rng);

    static DemoRgb Jitter(DemoColour c, double amount, Xoshiro256StarStar rng) =>
        new(Clamp(c.R + rng.NextDouble(-amount, amount)), Clamp(c.G + rng.NextDouble(-amount, amount)), Clamp(c.B + rng.NextDouble(-amount, amount)));

    static DemoRgb Grey(double level, double tint, Xoshiro256StarStar rng) =>
        new(Clamp(level + rng.NextDouble(-tint, tint)), Clamp(level + rng.NextDouble(-tint, tint)), Clamp(level + rng.NextDouble(-tint, tint)));

    // Low-saturation mid-to-light colours: busy, but never mistaken for a class colour.
    static DemoRgb Muted(Xoshiro256StarStar rng) => Grey(rng.NextDouble(110, 225), 22, rng);

    static DemoRgb Tint(DemoRgb c, double towards, double amount) =>
        new(Clamp(c.R + (towards - c.R) * amount), Clamp(c.G + (towards - c.G) * amount), Clamp(c.B + (towards - c.B) * amount));

    static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}
