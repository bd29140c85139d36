namespace Maple.Demo;

/// <summary>What is behind the shape.</summary>
public enum DemoBackground
{
    /// <summary>One flat colour.</summary>
    Plain,

    /// <summary>A linear gradient between two colours.</summary>
    Gradient,
}
