namespace Maple.Demo;

/// <summary>An opaque 8-bit RGB colour.</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
public readonly record struct DemoRgb(byte R, byte G, byte B)
{
    /// <summary>The colour's luma (ITU-R 601), 0..255.</summary>
    public double Luma => 0.299 * R + 0.587 * G + 0.114 * B;
}
