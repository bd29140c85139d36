using Maple.Data;

namespace Maple.Evaluation.Ood;

/// <summary>Opens the datasets of an OOD evaluation.</summary>
public static class OodData
{
    /// <summary>
    /// Opens <paramref name="path"/> as <see cref="DatasetSource.Open"/> does; a folder of images without
    /// class sub-folders (common for OOD sets, whose labels are never used) is read as one class named after it.
    /// </summary>
    public static ImageDataset Open(string path, string split = "test", string? classesFile = null)
    {
        if (Directory.Exists(path) && !Directory.EnumerateDirectories(path).Any(d => !Path.GetFileName(d).StartsWith('.')))
        {
            var images = Directory.EnumerateFiles(path)
                .Where(f => ImageFolder.ImageExtensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal)
                .Select(f => new LabeledImage(Path.GetFullPath(f), 0))
                .ToList();
            if (images.Count == 0)
                throw new InvalidDataException($"{path}: no images and no class folders");
            // Unlabelled: a class-name file names the classifier's classes, it has no labels of the data to match.
            return new ImageDataset(path, classesFile is null ? [DisplayName(path)] : DatasetSource.ReadClassNames(classesFile), images);
        }
        return DatasetSource.Open(path, split, null, classesFile);
    }

    /// <summary>Opens each path (<see cref="Open"/>) under a distinct short name: the folder or file name.</summary>
    public static IReadOnlyList<NamedDataset> OpenAll(IReadOnlyList<string> paths, string split = "test")
    {
        var names = new List<string>();
        foreach (var path in paths)
        {
            var name = DisplayName(path);
            var unique = name;
            for (var n = 2; names.Contains(unique, StringComparer.OrdinalIgnoreCase); n++)
                unique = $"{name}-{n}";
            names.Add(unique);
        }
        return paths.Select((p, i) => new NamedDataset(names[i], Open(p, split))).ToList();
    }

    /// <summary>The last component of a path, without a split file's extension.</summary>
    public static string DisplayName(string path)
    {
        var trimmed = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return File.Exists(trimmed) ? Path.GetFileNameWithoutExtension(trimmed) : Path.GetFileName(trimmed);
    }
}
