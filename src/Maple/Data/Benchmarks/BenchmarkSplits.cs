namespace Maple.Data.Benchmarks;

/// <summary>The split lists the benchmarks have.</summary>
static class BenchmarkSplits
{
    public static readonly IReadOnlyList<string> TrainValTest = ["train", "val", "test"];

    public static readonly IReadOnlyList<string> TestOnly = ["test"];
}
