namespace Maple.Demo;

/// <summary>The shapes of the demo world.</summary>
public enum DemoShape
{
    /// <summary>A disc.</summary>
    Circle,

    /// <summary>A filled square.</summary>
    Square,

    /// <summary>An equilateral triangle.</summary>
    Triangle,

    /// <summary>A five-pointed star.</summary>
    Star,

    /// <summary>A plus sign.</summary>
    Cross,

    /// <summary>A heart.</summary>
    Heart,

    /// <summary>A regular hexagon (drawn only as an out-of-distribution shape: never pretrained on or prompted for).</summary>
    Hexagon,

    /// <summary>An arrow (drawn only as an out-of-distribution shape: never pretrained on or prompted for).</summary>
    Arrow,
}
