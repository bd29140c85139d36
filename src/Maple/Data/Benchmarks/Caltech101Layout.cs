namespace Maple.Data.Benchmarks;

/// <summary>
/// Caltech101: <c>caltech-101/101_ObjectCategories/&lt;class&gt;/*.jpg</c> with <c>split_zhou_Caltech101.json</c>.
/// Without the split file, a seeded 50/20/30 split of the class folders, leaving out the clutter class
/// <c>BACKGROUND_Google</c> and <c>Faces_easy</c> (a near-duplicate of <c>Faces</c>), with CoOp's singular names.
/// </summary>
sealed class Caltech101Layout : SplitFileLayout
{
    static readonly IReadOnlySet<string> Ignored = new HashSet<string>(["BACKGROUND_Google", "Faces_easy"], StringComparer.Ordinal);

    static readonly IReadOnlyDictionary<string, string> NewNames = new Dictionary<string, string>
    {
        ["airplanes"] = "airplane",
        ["Faces"] = "face",
        ["Leopards"] = "leopard",
        ["Motorbikes"] = "motorbike",
    };

    public override BenchmarkInfo Info { get; } = new("Caltech101", "caltech-101", BenchmarkSplits.TrainValTest,
        "caltech-101/101_ObjectCategories/<class>/ + split_zhou_Caltech101.json", ["caltech", "caltech-101", "caltech101"]);

    protected override string SplitFileName => "split_zhou_Caltech101.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = ["101_ObjectCategories", "caltech101/101_ObjectCategories"];

    protected override IReadOnlyDictionary<string, string> Renames => NewNames;

    protected override PartedData Fallback(string dir, string imageDir) => SeededSplits.ByFolder(imageDir, Ignored, NewNames,
        $"{SplitFileName} not found: random 50/20/30 split of {imageDir} with seed {SeededSplits.Seed}, without BACKGROUND_Google and Faces_easy");
}
