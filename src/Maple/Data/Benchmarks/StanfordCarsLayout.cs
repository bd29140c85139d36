namespace Maple.Data.Benchmarks;

/// <summary>
/// Stanford Cars: <c>stanford_cars/</c> holding <c>cars_train/</c>, <c>cars_test/</c> and
/// <c>split_zhou_StanfordCars.json</c>, whose paths are relative to the dataset folder itself. The split file is
/// required: the official annotations are MATLAB files.
/// </summary>
sealed class StanfordCarsLayout : SplitFileLayout
{
    public override BenchmarkInfo Info { get; } = new("StanfordCars", "stanford_cars", BenchmarkSplits.TrainValTest,
        "stanford_cars/cars_train/ + cars_test/ + split_zhou_StanfordCars.json", ["stanford-cars", "cars"]);

    protected override string SplitFileName => "split_zhou_StanfordCars.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = [""];

    public override bool LooksLike(string dir) =>
        File.Exists(Path.Combine(dir, SplitFileName)) || Directory.Exists(Path.Combine(dir, "cars_train"));

    protected override PartedData Fallback(string dir, string imageDir) =>
        throw NeedsSplitFile(dir, "devkit/cars_train_annos.mat, cars_test_annos_withlabels.mat and devkit/cars_meta.mat");
}
