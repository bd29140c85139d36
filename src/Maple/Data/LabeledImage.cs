namespace Maple.Data;

/// <summary>An image file and its class label.</summary>
/// <param name="Path">Absolute path of the image.</param>
/// <param name="Label">Class index into the dataset's class names.</param>
public sealed record LabeledImage(string Path, int Label);
