using Maple.Imaging;

namespace Maple.Data.Benchmarks;

/// <summary>
/// The splits CoOp generates when a dataset comes without its split file: per class, a shuffled 50/20/30
/// train/val/test split of a class folder (Dassl's <c>read_and_split_data</c>), or 20% of an official
/// train+val list held out for validation (CoOp's <c>split_trainval</c>). Counts are rounded half to even, as
/// Python's round() does. The shuffles come from a generator with a fixed seed over ordinally sorted listings, so
/// the same files always give the same split; they are not CoOp's published splits, which need the split file.
/// </summary>
static class SeededSplits
{
    /// <summary>The seed of every generated split.</summary>
    public const ulong Seed = 1;

    public const double TrainFraction = 0.5;

    public const double ValFraction = 0.2;

    /// <summary>A generator for the splits of one dataset, separate from other uses of the seed.</summary>
    public static Xoshiro256StarStar Generator() => new(Seed ^ 0x73706c6974UL); // "split"

    /// <summary>
    /// Splits each class folder of <paramref name="imageDir"/> 50/20/30. Folders in <paramref name="ignored"/> are
    /// skipped; labels follow the sorted remaining folders; <paramref name="renames"/> maps folder names to class names.
    /// </summary>
    public static PartedData ByFolder(string imageDir, IReadOnlySet<string> ignored, IReadOnlyDictionary<string, string> renames, string how)
    {
        var categories = LayoutFiles.ListFolders(imageDir).Where(c => !ignored.Contains(c)).ToList();
        if (categories.Count == 0)
            throw new InvalidDataException($"{imageDir}: no class folders to split");
        var rng = Generator();
        List<LabeledImage> train = [], val = [], test = [];
        var names = new List<string>();
        for (var label = 0; label < categories.Count; label++)
        {
            var folder = Path.Combine(imageDir, categories[label]);
            var images = LayoutFiles.ListImages(folder);
            Shuffle(images, rng);
            var total = images.Count;
            var trainCount = (int)Math.Round(total * TrainFraction, MidpointRounding.ToEven);
            var valCount = (int)Math.Round(total * ValFraction, MidpointRounding.ToEven);
            var testCount = total - trainCount - valCount;
            if (trainCount == 0 || valCount == 0 || testCount <= 0)
                throw new InvalidDataException(
                    $"{folder}: class '{categories[label]}' has {total} images, too few for a 50/20/30 train/val/test split (at least 4 are needed)");
            train.AddRange(images.Take(trainCount).Select(p => new LabeledImage(p, label)));
            val.AddRange(images.Skip(trainCount).Take(valCount).Select(p => new LabeledImage(p, label)));
            test.AddRange(images.Skip(trainCount + valCount).Select(p => new LabeledImage(p, label)));
            names.Add(renames.GetValueOrDefault(categories[label], categories[label]));
        }
        return new PartedData(names, train, val, test, how);
    }

    /// <summary>
    /// Holds out round(20%) of each class of <paramref name="trainval"/> (at least one) for validation; classes in
    /// the order they first appear, each class's images in shuffled order.
    /// </summary>
    public static (List<LabeledImage> Train, List<LabeledImage> Val) TrainVal(IReadOnlyList<LabeledImage> trainval, IReadOnlyList<string> classNames, string source)
    {
        var rng = Generator();
        var byLabel = new Dictionary<int, List<LabeledImage>>();
        var order = new List<int>();
        foreach (var item in trainval)
        {
            if (!byLabel.TryGetValue(item.Label, out var list))
            {
                byLabel[item.Label] = list = [];
                order.Add(item.Label);
            }
            list.Add(item);
        }
        List<LabeledImage> train = [], val = [];
        foreach (var label in order)
        {
            var items = byLabel[label];
            var valCount = (int)Math.Round(items.Count * ValFraction, MidpointRounding.ToEven);
            if (valCount == 0)
                throw new InvalidDataException(
                    $"{source}: class '{classNames[label]}' has {items.Count} training images, too few to hold 20% out for validation (at least 3 are needed)");
            Shuffle(items, rng);
            val.AddRange(items.Take(valCount));
            train.AddRange(items.Skip(valCount));
        }
        return (train, val);
    }

    static void Shuffle<T>(IList<T> list, Xoshiro256StarStar rng)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
