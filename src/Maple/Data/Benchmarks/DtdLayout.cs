namespace Maple.Data.Benchmarks;

/// <summary>
/// DTD (Describable Textures): <c>dtd/images/&lt;texture&gt;/*.jpg</c> with <c>split_zhou_DescribableTextures.json</c>;
/// without it, a seeded 50/20/30 split of the class folders, as CoOp does.
/// </summary>
sealed class DtdLayout : SplitFileLayout
{
    public override BenchmarkInfo Info { get; } = new("DescribableTextures", "dtd", BenchmarkSplits.TrainValTest,
        "dtd/images/<texture>/ + split_zhou_DescribableTextures.json", ["dtd", "describable-textures", "textures"]);

    protected override string SplitFileName => "split_zhou_DescribableTextures.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = ["images"];

    protected override PartedData Fallback(string dir, string imageDir) => SeededSplits.ByFolder(imageDir, new HashSet<string>(),
        new Dictionary<string, string>(), $"{SplitFileName} not found: random 50/20/30 split of {imageDir} with seed {SeededSplits.Seed}");
}
