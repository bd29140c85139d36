using System.Text.Json;

namespace Maple.Data;

/// <summary>
/// A split file in the CoOp/Dassl layout: <c>{"train": [[relpath, label, classname], ...], "val": [...], "test": [...]}</c>.
/// The order of the entries is kept. Every path must stay inside the image root.
/// </summary>
public static class SplitFile
{
    /// <summary>Loads split <paramref name="split"/> of <paramref name="path"/>, resolving images under <paramref name="imageRoot"/>.</summary>
    public static ImageDataset Load(string path, string imageRoot, string split)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: split file not found", path);
        using (var document = JsonFile.Parse(path))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(split, out var entries) || entries.ValueKind != JsonValueKind.Array)
            {
                var available = root.ValueKind == JsonValueKind.Object ? string.Join(", ", root.EnumerateObject().Select(p => p.Name)) : "none";
                throw new InvalidDataException($"{path}: no split '{split}' (available: {available})");
            }

            // Class names come from every split of the file, so a label seen only in 'test' is still named.
            var names = new SortedDictionary<int, string>();
            foreach (var part in root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array))
            {
                var index = 0;
                foreach (var entry in part.Value.EnumerateArray())
                {
                    var (_, label, name) = ParseEntry(entry, path, part.Name, index++);
                    names.TryAdd(label, name);
                }
            }
            var classCount = names.Count == 0 ? 0 : names.Keys.Max() + 1;
            var classNames = Enumerable.Range(0, classCount).Select(l => names.TryGetValue(l, out var n) ? n : $"class {l}").ToList();

            var fullRoot = Path.GetFullPath(imageRoot);
            var items = new List<LabeledImage>();
            var i = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                var (relative, label, _) = ParseEntry(entry, path, split, i);
                items.Add(new LabeledImage(PathInside(fullRoot, relative, $"{path}: {split}[{i}]"), label));
                i++;
            }
            return new ImageDataset($"{path} ({split})", classNames, items);
        }
    }

    /// <summary>The names of the splits in <paramref name="path"/> (its array members, in file order).</summary>
    public static IReadOnlyList<string> SplitNames(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: split file not found", path);
        using var document = JsonFile.Parse(path);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? document.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array).Select(p => p.Name).ToList()
            : [];
    }

    /// <summary>The full path of <paramref name="relative"/> under <paramref name="root"/>; an error naming <paramref name="entry"/> if it escapes.</summary>
    public static string PathInside(string root, string relative, string entry)
    {
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"{entry}: path '{relative}' lies outside the dataset root {root}");
        return full;
    }

    static (string Path, int Label, string Name) ParseEntry(JsonElement entry, string path, string split, int index)
    {
        if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() < 2
            || entry[0].ValueKind != JsonValueKind.String || entry[1].ValueKind != JsonValueKind.Number)
            throw new InvalidDataException($"{path}: {split}[{index}] is not [relpath, label, classname]");
        var label = entry[1].GetInt32();
        if (label < 0)
            throw new InvalidDataException($"{path}: {split}[{index}] has a negative label {label}");
        var name = entry.GetArrayLength() > 2 && entry[2].ValueKind == JsonValueKind.String ? entry[2].GetString()! : $"class {label}";
        return (entry[0].GetString()!, label, name);
    }
}
