using Maple.Data.Benchmarks;

namespace Maple.Data;

/// <summary>
/// The 15 datasets of CoOp, CoCoOp and MaPLe, read from the folders CoOp's DATASETS.md lays out under one data
/// root: the 11 recognition benchmarks (ImageNet, Caltech101, OxfordPets, StanfordCars, OxfordFlowers, Food101,
/// FGVCAircraft, SUN397, DescribableTextures, EuroSAT, UCF101) and the 4 domain-generalisation targets of ImageNet
/// (ImageNetV2, ImageNetSketch, ImageNetA, ImageNetR).
/// </summary>
/// <remarks>
/// Splits come from CoOp's <c>split_zhou_*.json</c> where the dataset has one; where that file is absent, from the
/// dataset's own split lists (OxfordPets, Food101, SUN397, UCF101) or a seeded 50/20/30 split of the class folders
/// (Caltech101, DTD, EuroSAT, Food101 without <c>meta/</c>), as CoOp generates them but with Maple's own generator.
/// StanfordCars and OxfordFlowers need their split file (their annotations are MATLAB files). ImageNet has no
/// split file: its train folder is the training set and its val folder both the validation and the test set.
/// Every path a split file or list names must lie inside the dataset's folder.
/// </remarks>
public static class BenchmarkDatasets
{
    static readonly IReadOnlyList<BenchmarkLayout> Layouts =
    [
        new ImageNetLayout(),
        new Caltech101Layout(),
        new OxfordPetsLayout(),
        new StanfordCarsLayout(),
        new OxfordFlowersLayout(),
        new Food101Layout(),
        new FgvcAircraftLayout(),
        new Sun397Layout(),
        new DtdLayout(),
        new EuroSatLayout(),
        new Ucf101Layout(),
        new ImageNetV2Layout(),
        new WnidFolderLayout(new BenchmarkInfo("ImageNetSketch", "imagenet-sketch", BenchmarkSplits.TestOnly,
            "imagenet-sketch/images/<wnid>/ + classnames.txt", ["imagenet-sketch", "sketch"]), ["images", "sketch"]),
        new WnidFolderLayout(new BenchmarkInfo("ImageNetA", "imagenet-adversarial", BenchmarkSplits.TestOnly,
            "imagenet-adversarial/imagenet-a/<wnid>/ (200 classes) + classnames.txt", ["imagenet-a", "imagenet-adversarial"]), ["imagenet-a"]),
        new WnidFolderLayout(new BenchmarkInfo("ImageNetR", "imagenet-rendition", BenchmarkSplits.TestOnly,
            "imagenet-rendition/imagenet-r/<wnid>/ (200 classes) + classnames.txt", ["imagenet-r", "imagenet-rendition"]), ["imagenet-r"]),
    ];

    /// <summary>The canonical names, in the order of the papers' tables.</summary>
    public static IReadOnlyList<string> Names { get; } = Layouts.Select(l => l.Info.Name).ToList();

    /// <summary>What is known about each dataset, in the order of <see cref="Names"/>.</summary>
    public static IReadOnlyList<BenchmarkInfo> All { get; } = Layouts.Select(l => l.Info).ToList();

    /// <summary>
    /// The dataset called <paramref name="name"/>: its canonical name, folder or an alias, ignoring case, spaces,
    /// '-', '_' and '.' ("eurosat", "EuroSAT", "oxford_pets", "OxfordPets", "imagenet-a", "dtd" all work).
    /// </summary>
    /// <exception cref="ArgumentException">No dataset has that name; the message lists the names.</exception>
    public static BenchmarkInfo Resolve(string name) => Layout(name).Info;

    /// <summary>True when <paramref name="name"/> names a benchmark (see <see cref="Resolve"/>).</summary>
    public static bool IsKnown(string name) => TryLayout(name) is not null;

    /// <summary>
    /// The folder of dataset <paramref name="name"/> under <paramref name="root"/>: CoOp's folder name, else a
    /// sub-folder named like the dataset in any accepted spelling, else <paramref name="root"/> itself when it is
    /// named so or holds the dataset's files.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Not found; the message says what folder is expected.</exception>
    public static string FindFolder(string root, string name)
    {
        var layout = Layout(name);
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"{full}: data root not found");
        var folder = Locate(full, layout) ?? throw new DirectoryNotFoundException(
            $"{Path.Combine(full, layout.Info.Folder)}: {layout.Info.Name} not found (expected {layout.Info.Layout}, as in CoOp's DATASETS.md)");
        return folder;
    }

    /// <summary>
    /// Reads split <paramref name="split"/> of dataset <paramref name="name"/> under the data root <paramref name="root"/>.
    /// </summary>
    /// <param name="root">The folder holding the datasets' folders (CoOp's <c>$DATA</c>).</param>
    /// <param name="name">A dataset name, see <see cref="Resolve"/>.</param>
    /// <param name="split"><c>train</c>, <c>val</c> or <c>test</c> (only <c>test</c> for the domain-generalisation targets).</param>
    /// <exception cref="ArgumentException">Unknown dataset or split.</exception>
    /// <exception cref="DirectoryNotFoundException">The dataset or its image folder is missing.</exception>
    /// <exception cref="FileNotFoundException">A file the layout needs is missing (the message says which and why).</exception>
    /// <exception cref="InvalidDataException">A split file or list is malformed or names a path outside the dataset folder.</exception>
    public static ImageDataset Open(string root, string name, string split)
    {
        var layout = Layout(name);
        if (!layout.Info.Splits.Contains(split))
            throw new UserInputException(layout.Info.TestOnly
                ? $"{layout.Info.Name} is for testing only: its one split is 'test', not '{split}'"
                : $"{layout.Info.Name} has no split '{split}' (splits: {string.Join(", ", layout.Info.Splits)})");
        var full = Path.GetFullPath(root);
        return layout.Load(full, FindFolder(full, name), split);
    }

    static BenchmarkLayout Layout(string name) => TryLayout(name) ?? throw new UserInputException(
        $"unknown dataset '{name}' (known: {string.Join(", ", Layouts.Select(l => l.Info.Name))})");

    static BenchmarkLayout? TryLayout(string name)
    {
        var key = Normalize(name);
        return Layouts.FirstOrDefault(l => Keys(l.Info).Contains(key));
    }

    static string? Locate(string root, BenchmarkLayout layout)
    {
        var exact = Path.Combine(root, layout.Info.Folder);
        if (Directory.Exists(exact))
            return exact;
        var keys = Keys(layout.Info);
        var named = Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .FirstOrDefault(d => keys.Contains(Normalize(Path.GetFileName(d))));
        if (named is not null)
            return named;
        return keys.Contains(Normalize(Path.GetFileName(root))) || layout.LooksLike(root) ? root : null;
    }

    static HashSet<string> Keys(BenchmarkInfo info) =>
        [.. new[] { info.Name, info.Folder }.Concat(info.Aliases).Select(Normalize)];

    static string Normalize(string name) =>
        new([.. name.Where(c => c is not ('-' or '_' or ' ' or '.')).Select(char.ToLowerInvariant)]);
}
