namespace Maple.Data.Benchmarks;

/// <summary>
/// An ImageNet variant with one folder per wnid and ImageNet's <c>classnames.txt</c>: ImageNet-Sketch (all 1,000
/// classes), ImageNet-A and ImageNet-R (200 each). Labels follow the variant's own sorted wnid folders, so -A and -R
/// are scored over their 200 classes; each is named by its wnid's line of ImageNet's class names. Test only.
/// </summary>
sealed class WnidFolderLayout(BenchmarkInfo info, IReadOnlyList<string> imageFolders) : BenchmarkLayout
{
    public override BenchmarkInfo Info { get; } = info;

    public override bool LooksLike(string dir) =>
        File.Exists(Path.Combine(dir, "classnames.txt")) && imageFolders.Any(f => Directory.Exists(Path.Combine(dir, f)));

    public override ImageDataset Load(string root, string dir, string split)
    {
        var imageDir = LayoutFiles.FindFolder(dir, imageFolders, $"{Info.Name}'s images; the layout is {Info.Layout}");
        var names = WnidClassNames.Find(root, dir, Info.Name);
        var wnids = LayoutFiles.ListFolders(imageDir);
        if (wnids.Count == 0)
            throw new InvalidDataException($"{imageDir}: no class folders (one folder per wnid expected)");
        var classNames = wnids.Select(w => names.NameOf(w, imageDir)).ToList();
        var items = new List<LabeledImage>();
        for (var label = 0; label < wnids.Count; label++)
            items.AddRange(LayoutFiles.ListImages(Path.Combine(imageDir, wnids[label])).Select(p => new LabeledImage(p, label)));
        return new ImageDataset($"{Info.Name} {split} ({imageDir})", classNames, items);
    }
}
