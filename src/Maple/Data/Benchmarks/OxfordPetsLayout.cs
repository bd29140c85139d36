using System.Globalization;

namespace Maple.Data.Benchmarks;

/// <summary>
/// Oxford-IIIT Pets: <c>oxford_pets/images/*.jpg</c> with <c>split_zhou_OxfordPets.json</c>; without it, the
/// official <c>annotations/trainval.txt</c> and <c>test.txt</c> ("Abyssinian_100 1 1 1": image, 1-based class,
/// species, breed), 20% of trainval held out for validation. The class is the image name without its number, lower-cased.
/// </summary>
sealed class OxfordPetsLayout : SplitFileLayout
{
    public override BenchmarkInfo Info { get; } = new("OxfordPets", "oxford_pets", BenchmarkSplits.TrainValTest,
        "oxford_pets/images/ + annotations/ + split_zhou_OxfordPets.json", ["oxford-pets", "oxford-iiit-pet", "pets"]);

    protected override string SplitFileName => "split_zhou_OxfordPets.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = ["images"];

    public override bool LooksLike(string dir) => base.LooksLike(dir) || File.Exists(Path.Combine(dir, "annotations", "trainval.txt"));

    protected override PartedData Fallback(string dir, string imageDir)
    {
        var annotations = Path.Combine(dir, "annotations");
        var names = new Dictionary<int, string>();
        var trainval = Read(Path.Combine(annotations, "trainval.txt"), imageDir, names);
        var test = Read(Path.Combine(annotations, "test.txt"), imageDir, names);
        var classNames = LayoutFiles.NamesByLabel(names, annotations);
        var (train, val) = SeededSplits.TrainVal(trainval, classNames, Path.Combine(annotations, "trainval.txt"));
        return new PartedData(classNames, train, val, test,
            $"{SplitFileName} not found: {annotations}/trainval.txt and test.txt, 20% of trainval held out for validation with seed {SeededSplits.Seed}");
    }

    List<LabeledImage> Read(string path, string imageDir, Dictionary<int, string> names)
    {
        var items = new List<LabeledImage>();
        foreach (var (line, text) in LayoutFiles.ReadList(path, $"{Info.Name}'s official split, read when {SplitFileName} is absent"))
        {
            var where = $"{path}:{line}";
            var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
                throw new InvalidDataException($"{where}: expected \"image class-id species breed-id\", got \"{text}\"");
            var image = fields[0];
            var cut = image.LastIndexOf('_');
            var breed = (cut > 0 ? image[..cut] : image).ToLowerInvariant();
            names.TryAdd(id - 1, breed);
            items.Add(new LabeledImage(SplitFile.PathInside(imageDir, image + ".jpg", where), id - 1));
        }
        return items;
    }
}
