namespace Maple.Data;

/// <summary>
/// A folder with one sub-folder per class, sorted ordinally (as torchvision's ImageFolder sorts).
/// Display names are the folder names with underscores as spaces, or come from <c>classnames.txt</c> in
/// the root (CoOp's ImageNet layout: "folder display name" per line; or one display name per line).
/// </summary>
public static class ImageFolder
{
    /// <summary>File extensions read as images.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>([".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Loads the dataset at <paramref name="root"/>.</summary>
    /// <exception cref="InvalidDataException">No class folders, or a class folder without images.</exception>
    public static ImageDataset Load(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{root}: image folder not found");
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0)
            throw new InvalidDataException($"{root}: no class folders (expected one sub-folder of images per class)");

        var items = new List<LabeledImage>();
        for (var label = 0; label < folders.Count; label++)
        {
            var folder = Path.Combine(root, folders[label]);
            var images = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal).ToList();
            if (images.Count == 0)
                throw new InvalidDataException($"{folder}: class '{folders[label]}' has no images ({string.Join(", ", ImageExtensions)})");
            items.AddRange(images.Select(p => new LabeledImage(Path.GetFullPath(p), label)));
        }
        return new ImageDataset(root, DisplayNames(root, folders), items);
    }

    static List<string> DisplayNames(string root, List<string> folders)
    {
        var file = Path.Combine(root, "classnames.txt");
        if (!File.Exists(file))
            return folders.Select(f => f.Replace('_', ' ')).ToList();
        var lines = TextList.Read(file, "class name file").ToList();
        var byFolder = lines.Select(l => l.Trim().Split(' ', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        if (folders.All(byFolder.ContainsKey))
            return folders.Select(f => byFolder[f]).ToList();
        if (lines.Count == folders.Count)
            return lines.Select(l => l.Trim()).ToList();
        throw new InvalidDataException(
            $"{file}: neither names every class folder (\"folder name\" per line) nor has one line per class ({lines.Count} lines, {folders.Count} folders)");
    }
}
