namespace Maple.Data.Benchmarks;

/// <summary>
/// FGVC-Aircraft (the archive's <c>data/</c> folder renamed <c>fgvc_aircraft/</c>): <c>images/NNNNNNN.jpg</c>, the
/// 100 variants in <c>variants.txt</c> (label = line), and <c>images_variant_{train,val,test}.txt</c> with lines
/// "1025794 707-320" (image id, variant). CoOp uses these official splits; there is no split file.
/// </summary>
sealed class FgvcAircraftLayout : BenchmarkLayout
{
    public override BenchmarkInfo Info { get; } = new("FGVCAircraft", "fgvc_aircraft", BenchmarkSplits.TrainValTest,
        "fgvc_aircraft/images/ + variants.txt + images_variant_{train,val,test}.txt", ["fgvc-aircraft", "aircraft", "fgvc"]);

    public override bool LooksLike(string dir) => File.Exists(Path.Combine(dir, "variants.txt"));

    public override ImageDataset Load(string root, string dir, string split)
    {
        var imageDir = LayoutFiles.FindFolder(dir, ["images"], $"FGVC-Aircraft's images; the layout is {Info.Layout}");
        var variantsPath = Path.Combine(dir, "variants.txt");
        var variants = LayoutFiles.ReadList(variantsPath, "FGVC-Aircraft's class list").Select(l => l.Text).ToList();
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var variant in variants)
        {
            if (!labels.TryAdd(variant, labels.Count))
                throw new InvalidDataException($"{variantsPath}: variant '{variant}' is listed twice");
        }

        var listPath = Path.Combine(dir, $"images_variant_{split}.txt");
        var items = new List<LabeledImage>();
        foreach (var (line, text) in LayoutFiles.ReadList(listPath, $"FGVC-Aircraft's {split} split"))
        {
            var where = $"{listPath}:{line}";
            var space = text.IndexOf(' ');
            if (space <= 0 || !labels.TryGetValue(text[(space + 1)..], out var label))
                throw new InvalidDataException($"{where}: \"{text}\" is not \"image-id variant\" with a variant of variants.txt");
            items.Add(new LabeledImage(SplitFile.PathInside(imageDir, text[..space] + ".jpg", where), label));
        }
        return new ImageDataset($"{Info.Name} {split} ({listPath})", variants, items);
    }
}
