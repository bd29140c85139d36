namespace Maple.Demo;

/// <summary>How a shape is filled.</summary>
public enum DemoFill
{
    /// <summary>One flat colour.</summary>
    Flat,

    /// <summary>The colour crossed by parallel bands of a pattern colour.</summary>
    Stripes,

    /// <summary>The colour dotted with a pattern colour.</summary>
    Dots,

    /// <summary>A checkerboard of the colour and a pattern colour.</summary>
    Checks,
}
