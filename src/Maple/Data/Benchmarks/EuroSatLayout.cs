namespace Maple.Data.Benchmarks;

/// <summary>
/// EuroSAT (RGB): <c>eurosat/2750/&lt;class&gt;/*.jpg</c> (the archive's newer <c>EuroSAT_RGB</c> folder is accepted
/// too) with <c>split_zhou_EuroSAT.json</c>; without it, a seeded 50/20/30 split. Class names are CoOp's
/// descriptive ones ("AnnualCrop" is "Annual Crop Land"), whichever form the split file holds.
/// </summary>
sealed class EuroSatLayout : SplitFileLayout
{
    static readonly IReadOnlyDictionary<string, string> NewNames = new Dictionary<string, string>
    {
        ["AnnualCrop"] = "Annual Crop Land",
        ["Forest"] = "Forest",
        ["HerbaceousVegetation"] = "Herbaceous Vegetation Land",
        ["Highway"] = "Highway or Road",
        ["Industrial"] = "Industrial Buildings",
        ["Pasture"] = "Pasture Land",
        ["PermanentCrop"] = "Permanent Crop Land",
        ["Residential"] = "Residential Buildings",
        ["River"] = "River",
        ["SeaLake"] = "Sea or Lake",
    };

    public override BenchmarkInfo Info { get; } = new("EuroSAT", "eurosat", BenchmarkSplits.TrainValTest,
        "eurosat/2750/<class>/ + split_zhou_EuroSAT.json", ["eurosat", "euro-sat"]);

    protected override string SplitFileName => "split_zhou_EuroSAT.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = ["2750", "EuroSAT_RGB"];

    protected override IReadOnlyDictionary<string, string> Renames => NewNames;

    protected override PartedData Fallback(string dir, string imageDir) => SeededSplits.ByFolder(imageDir, new HashSet<string>(), NewNames,
        $"{SplitFileName} not found: random 50/20/30 split of {imageDir} with seed {SeededSplits.Seed}");
}
