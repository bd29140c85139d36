namespace Maple.Data;

/// <summary>A class that had fewer images than the few-shot sampler asked for; all of them were kept.</summary>
/// <param name="Split"><c>train</c> or <c>val</c>.</param>
/// <param name="Label">The class label.</param>
/// <param name="Name">The class name.</param>
/// <param name="Available">How many images the class has (all kept).</param>
/// <param name="Wanted">How many were asked for.</param>
public sealed record ShortClass(string Split, int Label, string Name, int Available, int Wanted);
