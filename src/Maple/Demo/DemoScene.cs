namespace Maple.Demo;

/// <summary>
/// Everything needed to draw one image of the demo world (and to describe it in a caption): the
/// renderer adds nothing random of its own, so a scene always gives the same pixels.
/// </summary>
/// <param name="Class">The class shown.</param>
/// <param name="Style">The style the scene was drawn from.</param>
/// <param name="Size">Image side in pixels.</param>
/// <param name="Background">Background kind.</param>
/// <param name="BackgroundA">First background colour.</param>
/// <param name="BackgroundB">Second background colour (gradient end, check or blob colour).</param>
/// <param name="BackgroundSeed">Seeds the direction of a <see cref="DemoBackground.Gradient"/>.</param>
/// <param name="CenterX">Shape centre, pixels from the left.</param>
/// <param name="CenterY">Shape centre, pixels from the top.</param>
/// <param name="Radius">Shape radius in pixels.</param>
/// <param name="Rotation">Shape rotation in degrees, clockwise.</param>
/// <param name="FillColour">The shape's colour (the class colour, jittered).</param>
/// <param name="Fill">Fill kind.</param>
/// <param name="PatternColour">Colour of the fill pattern.</param>
/// <param name="PatternPeriod">Period of the fill pattern in pixels.</param>
/// <param name="PatternAngle">Angle of the fill pattern in degrees.</param>
/// <param name="OutlineWidth">Width of the outline in pixels (0 = none).</param>
/// <param name="OutlineColour">Colour of the outline.</param>
/// <param name="NoiseSigma">Standard deviation of the Gaussian pixel noise, in 0..255 units.</param>
/// <param name="NoiseSeed">Seeds the pixel noise.</param>
/// <param name="Light">The light of a pretraining scene lit by one of <see cref="DemoWorld.PretrainingLights"/>, which its caption names; null otherwise.</param>
public sealed record DemoScene(
    DemoClass Class, DemoStyle Style, int Size,
    DemoBackground Background, DemoRgb BackgroundA, DemoRgb BackgroundB, ulong BackgroundSeed,
    double CenterX, double CenterY, double Radius, double Rotation,
    DemoRgb FillColour, DemoFill Fill, DemoRgb PatternColour, double PatternPeriod, double PatternAngle,
    double OutlineWidth, DemoRgb OutlineColour,
    double NoiseSigma, ulong NoiseSeed, DemoLight? Light);
