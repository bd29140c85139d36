namespace Maple.Demo;

/// <summary>A coloured light over a whole scene: every colour in it is pulled part of the way towards the light's.</summary>
/// <param name="Name">The word captions use for the light ("pink" in "a red star in pink light").</param>
/// <param name="Colour">The light's colour.</param>
public sealed record DemoLight(string Name, DemoRgb Colour);
