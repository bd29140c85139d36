using Maple.Data;

namespace Maple.Evaluation.Ood;

/// <summary>A dataset and the short name it goes by in tables and figures.</summary>
/// <param name="Name">E.g. the folder name: <c>Textures</c>.</param>
/// <param name="Data">The images.</param>
public sealed record NamedDataset(string Name, ImageDataset Data);
