namespace Maple.Demo;

/// <summary>A class of the demo world: a colour and a shape, named in words ("red star").</summary>
/// <param name="Colour">The colour.</param>
/// <param name="Shape">The shape.</param>
public sealed record DemoClass(DemoColour Colour, DemoShape Shape)
{
    /// <summary>The class name, as prompts and captions spell it.</summary>
    public string Name => $"{Colour.Name} {ShapeWord(Shape)}";

    /// <summary>The word for a shape.</summary>
    public static string ShapeWord(DemoShape shape) => shape.ToString().ToLowerInvariant();
}
