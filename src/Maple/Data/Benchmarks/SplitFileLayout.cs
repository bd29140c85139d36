namespace Maple.Data.Benchmarks;

/// <summary>
/// A dataset read from CoOp's <c>split_zhou_*.json</c> when it is there (paths relative to the image folder), and
/// from the dataset's own files or a seeded split when it is not.
/// </summary>
abstract class SplitFileLayout : BenchmarkLayout
{
    static readonly IReadOnlyDictionary<string, string> NoRenames = new Dictionary<string, string>();

    /// <summary>The split file's name in the dataset folder.</summary>
    protected abstract string SplitFileName { get; }

    /// <summary>Where the images may be, relative to the dataset folder ("" for the folder itself), first preferred.</summary>
    protected abstract IReadOnlyList<string> ImageFolders { get; }

    /// <summary>Class names CoOp replaces (EuroSAT, Caltech101); applied to split files too, so either form gives the same prompts.</summary>
    protected virtual IReadOnlyDictionary<string, string> Renames => NoRenames;

    /// <summary>The splits without a split file, or an error that says what is missing.</summary>
    protected abstract PartedData Fallback(string dir, string imageDir);

    /// <summary>The split file, or an image folder with a name particular to the dataset ("images" is too common to tell).</summary>
    public override bool LooksLike(string dir) =>
        File.Exists(Path.Combine(dir, SplitFileName)) || ImageFolders.Any(f => f is not ("" or "images") && Directory.Exists(Path.Combine(dir, f)));

    public override ImageDataset Load(string root, string dir, string split)
    {
        var imageDir = LayoutFiles.FindFolder(dir, ImageFolders, $"{Info.Name}'s images; the layout is {Info.Layout}");
        var splitPath = Path.Combine(dir, SplitFileName);
        if (!File.Exists(splitPath))
            return Fallback(dir, imageDir).Pick(Info.Name, split);
        var data = SplitFile.Load(splitPath, imageDir, split);
        var names = data.ClassNames.Select(n => Renames.GetValueOrDefault(n, n)).ToList();
        return new ImageDataset($"{Info.Name} {split} ({splitPath})", names, data.Items);
    }

    /// <summary>The error for a dataset whose only fallback reads MATLAB files.</summary>
    protected Exception NeedsSplitFile(string dir, string matFiles) => new FileNotFoundException(
        $"{Path.Combine(dir, SplitFileName)}: not found. Without it {Info.Name}'s splits come from {matFiles}, MATLAB files that Maple does not read: " +
        $"put CoOp's {SplitFileName} (linked from CoOp's DATASETS.md) in {dir}",
        Path.Combine(dir, SplitFileName));
}
