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
    public const int StyleVersion = 4;

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
        var radius = size * rng.NextDouble(0.25, 0.40);
        var margin = radius * 1.05;
        var centerX = rng.NextDouble(margin, size - margin);
        var centerY = rng.NextDouble(margin, size - margin);
        var rotation = rng.NextDouble(-1, 1) * 20;
        var fillColour = Jitter(demoClass.Colour, 20, rng);

        // Flat and patterned shapes on plain or gradient backgrounds, light or dark. The downstream task
        // draws the same scenes under a light pretraining never showed: every colour is pulled a fixed part of
        // the way towards a warm orange, as a photo under tungsten light or through a filter. Shapes stay as
        // clear as in pretraining, but the colours no longer sit where the captions put them: zero-shot CLIP
        // mistakes them, and prompts can learn to correct them.
        var fill = rng.NextDouble() < 0.5 ? (DemoFill)rng.NextInt(1, 4) : DemoFill.Flat;
        var patternColour = Tint(fillColour, rng.NextDouble() < 0.5 ? 255 : 0, rng.NextDouble(0.2, 0.45));
        var period = size * rng.NextDouble(0.14, 0.22);
        var angle = rng.NextDouble(0, 180);
        var outlineColour = Grey(rng.NextDouble(20, 70), 6, rng);
        var background = rng.NextDouble() < 0.5 ? DemoBackground.Plain : DemoBackground.Gradient;
        var light = rng.NextDouble() < 0.7;
        var (backgroundA, backgroundB) = (Level(light, rng), Level(light, rng));
        var noise = rng.NextDouble(0, 5);
        // Pretraining scenes are lit by one of a few coloured lights part of the time, and their captions name the
        // light. The downstream task's light is not among them, and no caption names it.
        var lit = rng.NextDouble() < PretrainingLightShare;
        var pretrainingLight = PretrainingLights[rng.NextInt(PretrainingLights.Count)];
        var pretrainingLightStrength = rng.NextDouble(0.15, 0.40);
        var (sceneLight, lightColour, strength) = style == DemoStyle.Downstream ? (null, DownstreamLight, DownstreamLightStrength)
            : lit ? (pretrainingLight, pretrainingLight.Colour, pretrainingLightStrength)
            : ((DemoLight?)null, default(DemoRgb), 0.0);
        if (strength > 0)
        {
            fillColour = Mix(fillColour, lightColour, strength);
            patternColour = Mix(patternColour, lightColour, strength);
            backgroundA = Mix(backgroundA, lightColour, strength);
            backgroundB = Mix(backgroundB, lightColour, strength);
        }
        return new DemoScene(demoClass, style, size, background, backgroundA, backgroundB, rng.NextUInt64(),
            centerX, centerY, radius, rotation, fillColour, fill, patternColour, period, angle, 0, outlineColour,
            noise, rng.NextUInt64(), sceneLight);
    }

    /// <summary>
    /// The coloured lights of pretraining, named in the captions of the scenes they light ("a red star in pink
    /// light"). None is the downstream task's <see cref="DownstreamLight"/>.
    /// </summary>
    public static IReadOnlyList<DemoLight> PretrainingLights { get; } =
    [
        new("cold", new DemoRgb(70, 150, 255)),
        new("pink", new DemoRgb(255, 80, 190)),
        new("lime", new DemoRgb(150, 240, 60)),
    ];

    /// <summary>The share of pretraining scenes lit by one of <see cref="PretrainingLights"/> (at a strength between 0.15 and 0.40).</summary>
    public const double PretrainingLightShare = 0.5;

    /// <summary>The colour of the downstream task's light.</summary>
    public static DemoRgb DownstreamLight { get; } = new(255, 150, 40);

    /// <summary>How far the downstream light pulls every colour of a scene towards <see cref="DownstreamLight"/> (0 = not at all, 1 = all the way).</summary>
    public const double DownstreamLightStrength = 0.27;

    static DemoRgb Level(bool light, Xoshiro256StarStar rng) => Grey(light ? rng.NextDouble(160, 245) : rng.NextDouble(15, 90), 10, rng);

    static DemoRgb Jitter(DemoColour c, double amount, Xoshiro256StarStar rng) =>
        new(Clamp(c.R + rng.NextDouble(-amount, amount)), Clamp(c.G + rng.NextDouble(-amount, amount)), Clamp(c.B + rng.NextDouble(-amount, amount)));

    static DemoRgb Grey(double level, double tint, Xoshiro256StarStar rng) =>
        new(Clamp(level + rng.NextDouble(-tint, tint)), Clamp(level + rng.NextDouble(-tint, tint)), Clamp(level + rng.NextDouble(-tint, tint)));

    static DemoRgb Tint(DemoRgb c, double towards, double amount) =>
        new(Clamp(c.R + (towards - c.R) * amount), Clamp(c.G + (towards - c.G) * amount), Clamp(c.B + (towards - c.B) * amount));

    static DemoRgb Mix(DemoRgb a, DemoRgb b, double t) => new(Clamp(a.R + (b.R - a.R) * t), Clamp(a.G + (b.G - a.G) * t), Clamp(a.B + (b.B - a.B) * t));

    static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}
