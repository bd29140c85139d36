namespace Maple.Data;

/// <summary>The few-shot training and validation sets of one (shots, seed) pair.</summary>
/// <param name="Train">K images per class of the training set.</param>
/// <param name="Validation">min(K, 4) images per class of the validation set, or null when none was given.</param>
/// <param name="Shots">K.</param>
/// <param name="Seed">The sampling seed.</param>
/// <param name="Path">The JSON file that holds the choice, or null when sampled in memory only.</param>
/// <param name="Reused">True when the choice was read from an existing <paramref name="Path"/>.</param>
/// <param name="ShortClasses">Classes with fewer images than asked for, which keep all they have.</param>
public sealed record FewShotSplit(
    ImageDataset Train, ImageDataset? Validation, int Shots, long Seed, string? Path, bool Reused, IReadOnlyList<ShortClass> ShortClasses);
