namespace Maple.Data;

/// <summary>One of the benchmark datasets of CoOp and MaPLe, as <see cref="BenchmarkDatasets"/> knows it.</summary>
/// <param name="Name">The canonical name (CoOp's dataset class name, e.g. <c>EuroSAT</c>, <c>ImageNetA</c>).</param>
/// <param name="Folder">The folder under the data root that CoOp's DATASETS.md names (e.g. <c>eurosat</c>).</param>
/// <param name="Splits">The splits it has: <c>train</c>, <c>val</c>, <c>test</c>, or only <c>test</c> for the
/// domain-generalisation targets.</param>
/// <param name="Layout">What the folder holds, for help texts and error messages.</param>
/// <param name="Aliases">Other names it is known by; matched ignoring case, spaces, '-', '_' and '.'.</param>
public sealed record BenchmarkInfo(string Name, string Folder, IReadOnlyList<string> Splits, string Layout, IReadOnlyList<string> Aliases)
{
    /// <summary>True for a dataset used only for testing (ImageNet-V2, -Sketch, -A and -R).</summary>
    public bool TestOnly => Splits.Count == 1 && Splits[0] == "test";
}
