namespace Maple.Data.Benchmarks;

/// <summary>
/// ImageNet: <c>imagenet/images/train/&lt;wnid&gt;/</c> and <c>images/val/&lt;wnid&gt;/</c> with <c>classnames.txt</c>.
/// Labels follow the sorted wnid folders of <c>train</c> (of <c>val</c> when only it is present); the validation
/// images are the test set, and <c>val</c> and <c>test</c> are both that set, as in CoOp.
/// </summary>
sealed class ImageNetLayout : BenchmarkLayout
{
    public override BenchmarkInfo Info { get; } = new("ImageNet", "imagenet", BenchmarkSplits.TrainValTest,
        "imagenet/images/{train,val}/<wnid>/ + classnames.txt (val is also the test set)", ["imagenet", "imagenet-1k", "ilsvrc2012"]);

    public override bool LooksLike(string dir) =>
        Directory.Exists(Path.Combine(dir, "images", "train")) || Directory.Exists(Path.Combine(dir, "images", "val"));

    public override ImageDataset Load(string root, string dir, string split)
    {
        var images = LayoutFiles.FindFolder(dir, ["images"], $"ImageNet's images; the layout is {Info.Layout}");
        var trainDir = Path.Combine(images, "train");
        var valDir = Path.Combine(images, "val");
        var splitDir = split == "train" ? trainDir : valDir;
        if (!Directory.Exists(splitDir))
            throw new DirectoryNotFoundException($"{splitDir}: folder not found (ImageNet's {(split == "train" ? "training" : "validation")} images, one folder per wnid)");

        var names = WnidClassNames.Find(root, dir, Info.Name);
        var classDir = Directory.Exists(trainDir) ? trainDir : valDir;
        var wnids = LayoutFiles.ListFolders(classDir);
        if (wnids.Count == 0)
            throw new InvalidDataException($"{classDir}: no class folders (ImageNet's images must be sorted into one folder per wnid)");
        var classNames = wnids.Select(w => names.NameOf(w, classDir)).ToList();
        var labels = wnids.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);

        var items = new List<LabeledImage>();
        var folders = LayoutFiles.ListFolders(splitDir);
        if (folders.Count == 0)
            throw new InvalidDataException($"{splitDir}: no class folders (ImageNet's images must be sorted into one folder per wnid)");
        foreach (var folder in folders)
        {
            if (!labels.TryGetValue(folder, out var label))
                throw new InvalidDataException($"{Path.Combine(splitDir, folder)}: not a class of {classDir}");
            items.AddRange(LayoutFiles.ListImages(Path.Combine(splitDir, folder)).Select(p => new LabeledImage(p, label)));
        }
        return new ImageDataset($"{Info.Name} {split} ({splitDir})", classNames, items);
    }
}
