namespace Maple.Imaging;

/// <summary>The random choices of one training augmentation: which box to crop and whether to mirror.</summary>
/// <param name="Box">The crop box in the decoded image.</param>
/// <param name="Flip">Whether the resized crop is mirrored left-right.</param>
public readonly record struct TrainAugmentation(CropBox Box, bool Flip);
