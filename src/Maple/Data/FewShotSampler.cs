using System.Text.Json;
using Maple.Imaging;

namespace Maple.Data;

/// <summary>
/// Few-shot sampling as in CoOp and MaPLe: K training images per class and min(K, 4) validation images per class,
/// drawn without replacement with a seed, and kept in <c>split_fewshot/shot_{K}-seed_{S}.json</c> under a run cache
/// folder, so that reruns, and the base and the novel run of a seed, use the very same images.
/// </summary>
/// <remarks>
/// Like Dassl's <c>generate_fewshot_dataset</c> (Python's <c>random.sample</c> per class), but with Maple's own
/// generator, so the chosen images are not Dassl's: classes are visited by ascending label, first the training
/// set's then the validation set's, and each draws its K images by a partial Fisher–Yates shuffle from one
/// xoshiro256** generator seeded with S (through a fixed stream constant). A class with fewer than K images keeps
/// all of them, in their order, and is listed in <see cref="FewShotSplit.ShortClasses"/>. Sample before taking the
/// base or novel classes (<see cref="BaseNovelSplit"/>), as CoOp does.
/// The JSON stores each image relative to the folder common to the whole split, with its label and class name; on
/// reading, every entry must be an image of the same split with the same label, so a file sampled from other data is
/// an error rather than a silent mix.
/// </remarks>
public static class FewShotSampler
{
    /// <summary>The most validation images per class (CoOp's min(K, 4)).</summary>
    public const int MaxValidationShots = 4;

    const string Format = "maple.fewshot/1";
    const ulong Stream = 0x66657773686f74UL; // "fewshot"

    /// <summary>The file that holds the (K, S) choice under <paramref name="cacheFolder"/>.</summary>
    public static string PathFor(string cacheFolder, int shots, long seed) =>
        Path.Combine(cacheFolder, "split_fewshot", $"shot_{shots}-seed_{seed}.json");

    /// <summary>Samples in memory, without reading or writing a file.</summary>
    /// <param name="train">The full training set.</param>
    /// <param name="validation">The full validation set, or null (ImageNet in CoOp samples none).</param>
    /// <param name="shots">K, at least 1.</param>
    /// <param name="seed">The seed.</param>
    public static FewShotSplit Sample(ImageDataset train, ImageDataset? validation, int shots, long seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(shots, 1);
        var rng = new Xoshiro256StarStar(unchecked((ulong)seed) ^ Stream);
        var shortClasses = new List<ShortClass>();
        var sampledTrain = Draw(train, shots, rng, "train", shortClasses);
        var sampledVal = validation is null ? null : Draw(validation, Math.Min(shots, MaxValidationShots), rng, "val", shortClasses);
        return new FewShotSplit(Describe(train, sampledTrain, shots, seed), validation is null ? null : Describe(validation, sampledVal!, Math.Min(shots, MaxValidationShots), seed),
            shots, seed, null, false, shortClasses);
    }

    /// <summary>
    /// Reads the (K, S) choice from <see cref="PathFor"/> under <paramref name="cacheFolder"/> when the file exists,
    /// else samples it and writes the file atomically.
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but is malformed or was sampled from other data.</exception>
    public static FewShotSplit LoadOrCreate(string cacheFolder, ImageDataset train, ImageDataset? validation, int shots, long seed)
    {
        ArgumentNullException.ThrowIfNull(cacheFolder);
        var path = PathFor(cacheFolder, shots, seed);
        if (File.Exists(path))
        {
            try
            {
                return Read(path, train, validation, shots, seed);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: malformed few-shot file ({e.Message}); delete it to sample again", e);
            }
        }
        var sampled = Sample(train, validation, shots, seed);
        AtomicFile.Write(path, stream => WriteJson(stream, sampled, train, validation));
        return sampled with { Path = path };
    }

    static List<LabeledImage> Draw(ImageDataset dataset, int shots, Xoshiro256StarStar rng, string split, List<ShortClass> shortClasses)
    {
        var byLabel = new List<LabeledImage>[dataset.ClassNames.Count];
        for (var i = 0; i < byLabel.Length; i++)
            byLabel[i] = [];
        foreach (var item in dataset.Items)
        {
            if (item.Label >= byLabel.Length)
                throw new InvalidDataException($"{dataset.Source}: label {item.Label} has no class name ({byLabel.Length} classes)");
            byLabel[item.Label].Add(item);
        }
        var sampled = new List<LabeledImage>();
        for (var label = 0; label < byLabel.Length; label++)
        {
            var items = byLabel[label];
            if (items.Count < shots)
            {
                shortClasses.Add(new ShortClass(split, label, dataset.ClassNames[label], items.Count, shots));
                sampled.AddRange(items);
                continue;
            }
            for (var i = 0; i < shots; i++)
            {
                var j = rng.NextInt(i, items.Count);
                (items[i], items[j]) = (items[j], items[i]);
                sampled.Add(items[i]);
            }
        }
        return sampled;
    }

    static ImageDataset Describe(ImageDataset full, List<LabeledImage> items, int shots, long seed) =>
        new($"{full.Source}, {shots} shots per class (seed {seed})", full.ClassNames, items);

    static void WriteJson(Stream stream, FewShotSplit split, ImageDataset train, ImageDataset? validation)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("format", Format);
        writer.WriteNumber("shots", split.Shots);
        writer.WriteNumber("seed", split.Seed);
        writer.WriteStartArray("classes");
        foreach (var name in train.ClassNames)
            writer.WriteStringValue(name);
        writer.WriteEndArray();
        WritePart(writer, "train", train, split.Train);
        if (validation is null)
            writer.WriteNull("val");
        else
            WritePart(writer, "val", validation, split.Validation!);
        writer.WriteStartArray("short_classes");
        foreach (var s in split.ShortClasses)
        {
            writer.WriteStartObject();
            writer.WriteString("split", s.Split);
            writer.WriteNumber("label", s.Label);
            writer.WriteString("name", s.Name);
            writer.WriteNumber("available", s.Available);
            writer.WriteNumber("wanted", s.Wanted);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    static void WritePart(Utf8JsonWriter writer, string name, ImageDataset full, ImageDataset sampled)
    {
        var root = CommonFolder(full.Items);
        writer.WriteStartObject(name);
        writer.WriteString("source", full.Source);
        writer.WriteString("root", root);
        writer.WriteStartArray("items");
        foreach (var item in sampled.Items)
        {
            writer.WriteStartArray();
            writer.WriteStringValue(Path.GetRelativePath(root, item.Path));
            writer.WriteNumberValue(item.Label);
            writer.WriteStringValue(full.ClassNames[item.Label]);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    static FewShotSplit Read(string path, ImageDataset train, ImageDataset? validation, int shots, long seed)
    {
        using (var document = JsonFile.Parse(path, "delete it to sample again"))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String
                || format.GetString() != Format)
                throw new InvalidDataException($"{path}: not a Maple few-shot file ({Format}); delete it to sample again");
            if (!root.TryGetProperty("shots", out var s) || !s.TryGetInt32(out var fileShots) || fileShots != shots
                || !root.TryGetProperty("seed", out var sd) || !sd.TryGetInt64(out var fileSeed) || fileSeed != seed)
                throw new InvalidDataException($"{path}: holds another shot count or seed than {shots} shots, seed {seed}");

            var trainItems = ReadPart(path, root, "train", train)
                ?? throw new InvalidDataException($"{path}: no training images");
            List<LabeledImage>? valItems = null;
            if (validation is not null)
                valItems = ReadPart(path, root, "val", validation)
                    ?? throw new InvalidDataException($"{path}: was sampled without a validation set; delete it to sample again with one");
            var shortClasses = new List<ShortClass>();
            if (root.TryGetProperty("short_classes", out var shorts) && shorts.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in shorts.EnumerateArray())
                {
                    shortClasses.Add(new ShortClass(e.GetProperty("split").GetString() ?? "", e.GetProperty("label").GetInt32(),
                        e.GetProperty("name").GetString() ?? "", e.GetProperty("available").GetInt32(), e.GetProperty("wanted").GetInt32()));
                }
            }
            var valShots = Math.Min(shots, MaxValidationShots);
            return new FewShotSplit(Describe(train, trainItems, shots, seed),
                validation is null ? null : Describe(validation, valItems!, valShots, seed), shots, seed, path, true, shortClasses);
        }
    }

    static List<LabeledImage>? ReadPart(string path, JsonElement root, string name, ImageDataset full)
    {
        if (!root.TryGetProperty(name, out var part) || part.ValueKind == JsonValueKind.Null)
            return null;
        if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("items", out var entries) || entries.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: '{name}' has no item list; delete it to sample again");
        var folder = CommonFolder(full.Items);
        var byPath = new Dictionary<string, LabeledImage>(StringComparer.Ordinal);
        foreach (var item in full.Items)
            byPath.TryAdd(Path.GetRelativePath(folder, item.Path), item);
        var items = new List<LabeledImage>();
        var index = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() < 2 || entry[0].ValueKind != JsonValueKind.String
                || !entry[1].TryGetInt32(out var label))
                throw new InvalidDataException($"{path}: {name}[{index}] is not [relpath, label, classname]");
            var relative = entry[0].GetString()!;
            if (!byPath.TryGetValue(relative, out var item) || item.Label != label)
                throw new InvalidDataException(
                    $"{path}: {name}[{index}] '{relative}' (label {label}) is not an image of {full.Source}: the file was sampled from other data; delete it to sample again");
            items.Add(item);
            index++;
        }
        return items;
    }

    /// <summary>The deepest folder that holds every image of <paramref name="items"/>.</summary>
    static string CommonFolder(IReadOnlyList<LabeledImage> items)
    {
        if (items.Count == 0)
            return Path.GetPathRoot(Environment.CurrentDirectory) ?? "/";
        var common = Path.GetDirectoryName(items[0].Path) ?? "/";
        foreach (var item in items)
        {
            while (!IsUnder(item.Path, common))
            {
                var parent = Path.GetDirectoryName(common);
                if (parent is null)
                    return common;
                common = parent;
            }
        }
        return common;
    }

    static bool IsUnder(string path, string folder)
    {
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, StringComparison.Ordinal);
    }
}
