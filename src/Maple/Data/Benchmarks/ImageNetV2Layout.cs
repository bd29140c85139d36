using System.Globalization;

namespace Maple.Data.Benchmarks;

/// <summary>
/// ImageNet-V2 (matched frequency): <c>imagenetv2/imagenetv2-matched-frequency-format-val/&lt;label&gt;/</c>, folders
/// named by ImageNet label 0..999, with ImageNet's <c>classnames.txt</c> (line i names label i). Test only.
/// </summary>
sealed class ImageNetV2Layout : BenchmarkLayout
{
    const string ImageFolderName = "imagenetv2-matched-frequency-format-val";

    public override BenchmarkInfo Info { get; } = new("ImageNetV2", "imagenetv2", BenchmarkSplits.TestOnly,
        $"imagenetv2/{ImageFolderName}/<0..999>/ + classnames.txt", ["imagenetv2", "imagenet-v2"]);

    public override bool LooksLike(string dir) => Directory.Exists(Path.Combine(dir, ImageFolderName));

    public override ImageDataset Load(string root, string dir, string split)
    {
        var imageDir = LayoutFiles.FindFolder(dir, [ImageFolderName], $"ImageNet-V2's images; the layout is {Info.Layout}");
        var names = WnidClassNames.Find(root, dir, Info.Name);
        var classNames = names.Wnids.Select(w => names.NameOf(w, names.Path)).ToList();
        var items = new List<LabeledImage>();
        foreach (var folder in LayoutFiles.ListFolders(imageDir)
            .OrderBy(f => int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue))
        {
            if (!int.TryParse(folder, NumberStyles.None, CultureInfo.InvariantCulture, out var label) || label >= classNames.Count)
                throw new InvalidDataException($"{Path.Combine(imageDir, folder)}: not a label folder 0..{classNames.Count - 1}");
            items.AddRange(LayoutFiles.ListImages(Path.Combine(imageDir, folder)).Select(p => new LabeledImage(p, label)));
        }
        return new ImageDataset($"{Info.Name} {split} ({imageDir})", classNames, items);
    }
}
