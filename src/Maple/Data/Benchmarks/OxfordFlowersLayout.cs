namespace Maple.Data.Benchmarks;

/// <summary>
/// Oxford Flowers 102: <c>oxford_flowers/jpg/image_NNNNN.jpg</c> with <c>split_zhou_OxfordFlowers.json</c>. The split
/// file is required: the labels otherwise come from the MATLAB file <c>imagelabels.mat</c>.
/// </summary>
sealed class OxfordFlowersLayout : SplitFileLayout
{
    public override BenchmarkInfo Info { get; } = new("OxfordFlowers", "oxford_flowers", BenchmarkSplits.TrainValTest,
        "oxford_flowers/jpg/ + split_zhou_OxfordFlowers.json", ["oxford-flowers", "flowers", "flowers102", "flowers-102", "oxford-flowers-102"]);

    protected override string SplitFileName => "split_zhou_OxfordFlowers.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = ["jpg"];

    protected override PartedData Fallback(string dir, string imageDir) =>
        throw NeedsSplitFile(dir, "imagelabels.mat (with cat_to_name.json)");
}
