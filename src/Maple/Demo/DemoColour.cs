namespace Maple.Demo;

/// <summary>A named colour of the demo world.</summary>
/// <param name="Name">The word used in class names and captions.</param>
/// <param name="R">Red, 0..255.</param>
/// <param name="G">Green, 0..255.</param>
/// <param name="B">Blue, 0..255.</param>
public sealed record DemoColour(string Name, byte R, byte G, byte B);
