using Maple.Tests.Datasets;

namespace Maple.Tests.Protocols;

/// <summary>
/// A miniature data root for the protocols: EuroSAT (the shared builder: 4 classes, 2 train / 1 val / 2 test each),
/// DTD with 4 classes (2 train / 1 val / 2 test, so that its 2 base classes fill a MaPLe batch of 4), ImageNet and its
/// four domain-generalisation variants, and a flat folder of images for OOD.
/// </summary>
sealed class ProtocolData : IDisposable
{
    static readonly string[] DtdClasses = ["banded", "blotchy", "braided", "bubbly"];

    public ProtocolData()
    {
        MiniBenchmarks.EuroSat(Mini);
        var perClass = DtdClasses.Select((c, label) => Enumerable.Range(1, 5).Select(i =>
        {
            var relative = $"dtd/images/{c}/{c}_{i}.jpg";
            Mini.Image(relative, (byte)(40 * label + 9 * i));
            return relative["dtd/images/".Length..];
        }).ToList()).ToList();
        Mini.SplitFile("dtd/split_zhou_DescribableTextures.json", MiniBenchmarks.Split(perClass, DtdClasses, 2, 1));
        MiniBenchmarks.ImageNet(Mini);
        MiniBenchmarks.ImageNetV2(Mini);
        MiniBenchmarks.ImageNetSketch(Mini);
        MiniBenchmarks.ImageNetA(Mini);
        MiniBenchmarks.ImageNetR(Mini);
        for (var i = 1; i <= 3; i++)
            Mini.Image($"flat-ood/noise_{i}.png", (byte)(200 + 15 * i));
    }

    public MiniRoot Mini { get; } = new();

    public string Root => Mini.Root;

    /// <summary>A flat folder of 3 images (no class folders), an OOD set by path.</summary>
    public string FlatOod => Mini["flat-ood"];

    public void Dispose() => Mini.Dispose();
}
