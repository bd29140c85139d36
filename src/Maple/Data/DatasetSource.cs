namespace Maple.Data;

/// <summary>Opens the data a command names: an image folder, or a split file with its image root.</summary>
public static class DatasetSource
{
    /// <summary>
    /// <paramref name="data"/> is an ImageFolder root, or a split JSON file (images resolved under
    /// <paramref name="imageRoot"/>, by default the file's folder and its <c>images/</c> sub-folder when present).
    /// <paramref name="classesFile"/>, when given, names the classes (line i = label i) and wins.
    /// </summary>
    public static ImageDataset Open(string data, string split = "train", string? imageRoot = null, string? classesFile = null)
    {
        ImageDataset dataset;
        if (File.Exists(data) && data.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(data))!;
            var root = imageRoot ?? (Directory.Exists(Path.Combine(folder, "images")) ? Path.Combine(folder, "images") : folder);
            dataset = SplitFile.Load(data, root, split);
        }
        else
        {
            dataset = ImageFolder.Load(data);
        }
        return classesFile is null ? dataset : dataset.WithClassNames(ReadClassNames(classesFile), classesFile);
    }

    /// <summary>Reads a class list: one name per line, blank lines skipped.</summary>
    public static IReadOnlyList<string> ReadClassNames(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: class list not found", path);
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (names.Count == 0)
            throw new InvalidDataException($"{path}: the class list is empty");
        return names;
    }
}
