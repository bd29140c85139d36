namespace Maple.Data.Benchmarks;

/// <summary>
/// SUN397: <c>sun397/SUN397/&lt;letter&gt;/&lt;scene&gt;[/&lt;kind&gt;]/*.jpg</c> with <c>split_zhou_SUN397.json</c>.
/// Without it, the first official partition (<c>ClassName.txt</c>, <c>Training_01.txt</c>, <c>Testing_01.txt</c>, in
/// the dataset folder or its <c>Partitions/</c>) with 20% of training held out for validation. Class names drop the
/// letter and put the kind first ("/a/apartment_building/outdoor" is "outdoor apartment_building"), as CoOp names them.
/// </summary>
sealed class Sun397Layout : SplitFileLayout
{
    public override BenchmarkInfo Info { get; } = new("SUN397", "sun397", BenchmarkSplits.TrainValTest,
        "sun397/SUN397/<letter>/<scene>/ + split_zhou_SUN397.json", ["sun397", "sun-397", "sun"]);

    protected override string SplitFileName => "split_zhou_SUN397.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = ["SUN397"];

    protected override PartedData Fallback(string dir, string imageDir)
    {
        var partitions = File.Exists(Path.Combine(dir, "ClassName.txt")) || !Directory.Exists(Path.Combine(dir, "Partitions"))
            ? dir : Path.Combine(dir, "Partitions");
        var classesPath = Path.Combine(partitions, "ClassName.txt");
        var folders = LayoutFiles.ReadList(classesPath, $"SUN397's class list, read when {SplitFileName} is absent")
            .Select(l => StripSlash(l.Text)).ToList();
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            if (!labels.TryAdd(folder, labels.Count))
                throw new InvalidDataException($"{classesPath}: class '{folder}' is listed twice");
        }
        var classNames = folders.Select(DisplayName).ToList();
        var trainval = Read(Path.Combine(partitions, "Training_01.txt"), imageDir, labels);
        var test = Read(Path.Combine(partitions, "Testing_01.txt"), imageDir, labels);
        var (train, val) = SeededSplits.TrainVal(trainval, classNames, Path.Combine(partitions, "Training_01.txt"));
        return new PartedData(classNames, train, val, test,
            $"{SplitFileName} not found: {partitions}/Training_01.txt and Testing_01.txt, 20% of training held out for validation with seed {SeededSplits.Seed}");
    }

    static List<LabeledImage> Read(string path, string imageDir, Dictionary<string, int> labels)
    {
        var items = new List<LabeledImage>();
        foreach (var (line, text) in LayoutFiles.ReadList(path, "SUN397's first official partition"))
        {
            var where = $"{path}:{line}";
            var relative = StripSlash(text);
            var slash = relative.LastIndexOf('/');
            if (slash <= 0 || !labels.TryGetValue(relative[..slash], out var label))
                throw new InvalidDataException($"{where}: \"{text}\" is not an image in a class of ClassName.txt");
            items.Add(new LabeledImage(SplitFile.PathInside(imageDir, relative, where), label));
        }
        return items;
    }

    static string StripSlash(string text) => text.StartsWith('/') ? text[1..] : text;

    static string DisplayName(string folder) => string.Join(' ', folder.Split('/').Skip(1).Reverse());
}
