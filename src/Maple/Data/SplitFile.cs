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
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(split, out var entries))
            {
                var available = root.ValueKind == JsonValueKind.Object
                    ? string.Join(", ", root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array).Select(p => p.Name).Take(10))
                    : "";
                throw new InvalidDataException($"{path}: no split '{split}' (available: {(available.Length > 0 ? available : "none")})");
            }
            if (entries.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: split '{split}' is {Describe(entries.ValueKind)}, not a list of [relpath, label, classname]");

            // Class names come from every split of the file, so a label seen only in 'test' is still named. Labels must
            // number the named classes 0..C-1: a label is an index, and one without a name would make a class from nothing.
            var names = new Dictionary<int, string>();
            (int Label, string Where) largest = (-1, "");
            foreach (var part in root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array))
            {
                var index = 0;
                foreach (var entry in part.Value.EnumerateArray())
                {
                    var (_, label, name) = ParseEntry(entry, path, part.Name, index);
                    names.TryAdd(label, name);
                    if (label > largest.Label)
                        largest = (label, $"{part.Name}[{index}]");
                    index++;
                }
            }
            if (largest.Label >= names.Count)
            {
                var missing = Enumerable.Range(0, names.Count).First(l => !names.ContainsKey(l));
                throw new InvalidDataException(
                    $"{path}: {largest.Where} has label {largest.Label}, but the file names only {names.Count} classes and no entry has label {missing}; labels must number the classes 0..{names.Count - 1}");
            }
            var classNames = Enumerable.Range(0, names.Count).Select(l => names[l]).ToList();

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
        if (relative.Contains('\0', StringComparison.Ordinal))
            throw new InvalidDataException($"{entry}: path '{relative.Replace('\0', '?')}' holds a NUL character");
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"{entry}: path '{relative}' lies outside the dataset root {root}");
        return full;
    }

    static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => "true or false",
    };

    static (string Path, int Label, string Name) ParseEntry(JsonElement entry, string path, string split, int index)
    {
        if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() < 2
            || entry[0].ValueKind != JsonValueKind.String || entry[1].ValueKind != JsonValueKind.Number)
            throw new InvalidDataException($"{path}: {split}[{index}] is not [relpath, label, classname]");
        if (!entry[1].TryGetInt32(out var label) || label < 0)
            throw new InvalidDataException($"{path}: {split}[{index}] has label {entry[1].GetRawText()}; a label is a class index, a whole number from 0");
        var name = entry.GetArrayLength() > 2 && entry[2].ValueKind == JsonValueKind.String ? entry[2].GetString()! : $"class {label}";
        return (entry[0].GetString()!, label, name);
    }
}
