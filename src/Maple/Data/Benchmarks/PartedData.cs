namespace Maple.Data.Benchmarks;

/// <summary>A dataset's three splits built from its own lists or a seeded split, when it has no split file.</summary>
sealed record PartedData(
    IReadOnlyList<string> ClassNames, IReadOnlyList<LabeledImage> Train, IReadOnlyList<LabeledImage> Val, IReadOnlyList<LabeledImage> Test, string How)
{
    public ImageDataset Pick(string name, string split) => new($"{name} {split} ({How})", ClassNames, split switch
    {
        "train" => Train,
        "val" => Val,
        "test" => Test,
        _ => throw new UserInputException($"{name} has no split '{split}'"),
    });
}
