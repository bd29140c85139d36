namespace Maple.Data;

/// <summary>An image that could not be read.</summary>
/// <param name="Path">The file.</param>
/// <param name="Label">Its label in the dataset.</param>
/// <param name="Reason">What is wrong, without the path (e.g. "the file is empty (0 bytes)").</param>
public sealed record UnreadableImage(string Path, int Label, string Reason);
