namespace Maple.Data.Benchmarks;

/// <summary>
/// Food-101: <c>food-101/images/&lt;dish&gt;/*.jpg</c> with <c>split_zhou_Food101.json</c>. Without it, the official
/// <c>meta/train.txt</c> and <c>meta/test.txt</c> ("apple_pie/1005649", classes in <c>meta/classes.txt</c>) with 20% of
/// train held out for validation; without those either, a seeded 50/20/30 split of the class folders as CoOp makes.
/// </summary>
sealed class Food101Layout : SplitFileLayout
{
    public override BenchmarkInfo Info { get; } = new("Food101", "food-101", BenchmarkSplits.TrainValTest,
        "food-101/images/<dish>/ + meta/ + split_zhou_Food101.json", ["food-101", "food101", "food"]);

    protected override string SplitFileName => "split_zhou_Food101.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = ["images"];

    public override bool LooksLike(string dir) => base.LooksLike(dir) || File.Exists(Path.Combine(dir, "meta", "classes.txt"));

    protected override PartedData Fallback(string dir, string imageDir)
    {
        var meta = Path.Combine(dir, "meta");
        string[] files = ["classes.txt", "train.txt", "test.txt"];
        if (!files.All(f => File.Exists(Path.Combine(meta, f))))
            return SeededSplits.ByFolder(imageDir, new HashSet<string>(), new Dictionary<string, string>(),
                $"{SplitFileName} and meta/ not found: random 50/20/30 split of {imageDir} with seed {SeededSplits.Seed}");

        var classesPath = Path.Combine(meta, "classes.txt");
        var classNames = LayoutFiles.ReadList(classesPath, "Food-101's class list").Select(l => l.Text).ToList();
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in classNames)
        {
            if (!labels.TryAdd(name, labels.Count))
                throw new InvalidDataException($"{classesPath}: class '{name}' is listed twice");
        }
        var trainval = Read(Path.Combine(meta, "train.txt"), imageDir, labels);
        var test = Read(Path.Combine(meta, "test.txt"), imageDir, labels);
        var (train, val) = SeededSplits.TrainVal(trainval, classNames, Path.Combine(meta, "train.txt"));
        return new PartedData(classNames, train, val, test,
            $"{SplitFileName} not found: {meta}/train.txt and test.txt, 20% of train held out for validation with seed {SeededSplits.Seed}");
    }

    static List<LabeledImage> Read(string path, string imageDir, Dictionary<string, int> labels)
    {
        var items = new List<LabeledImage>();
        foreach (var (line, text) in LayoutFiles.ReadList(path, "Food-101's official split"))
        {
            var where = $"{path}:{line}";
            var slash = text.IndexOf('/');
            if (slash <= 0 || !labels.TryGetValue(text[..slash], out var label))
                throw new InvalidDataException($"{where}: \"{text}\" is not \"class/image\" with a class of meta/classes.txt");
            items.Add(new LabeledImage(SplitFile.PathInside(imageDir, text + ".jpg", where), label));
        }
        return items;
    }
}
