namespace Maple.Data.Benchmarks;

/// <summary>File-system helpers shared by the layouts.</summary>
static class LayoutFiles
{
    /// <summary>The image files directly in <paramref name="folder"/> (not hidden), sorted ordinally, full paths.</summary>
    /// <remarks>Dassl lists every non-hidden file; non-image files (thumbnail caches, READMEs) are left out here.</remarks>
    public static List<string> ListImages(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && ImageFolder.ImageExtensions.Contains(Path.GetExtension(f)))
            .Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();

    /// <summary>The names of the non-hidden sub-folders of <paramref name="folder"/>, sorted ordinally as Python's sorted() sorts.</summary>
    public static List<string> ListFolders(string folder) =>
        Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();

    /// <summary>The first of <paramref name="candidates"/> (relative to <paramref name="dir"/>, "" for itself) that exists.</summary>
    /// <exception cref="DirectoryNotFoundException">None exists; the message names the expected folder and <paramref name="what"/>.</exception>
    public static string FindFolder(string dir, IReadOnlyList<string> candidates, string what)
    {
        foreach (var candidate in candidates)
        {
            var path = Path.GetFullPath(Path.Combine(dir, candidate));
            if (Directory.Exists(path))
                return path;
        }
        var expected = string.Join(" or ", candidates.Select(c => Path.Combine(dir, c)));
        throw new DirectoryNotFoundException($"{expected}: folder not found ({what})");
    }

    /// <summary>The first of <paramref name="candidates"/> that exists, or null.</summary>
    public static string? FirstFile(IEnumerable<string> candidates) => candidates.FirstOrDefault(File.Exists);

    /// <summary>The non-blank lines of a text list that are not '#' comments, trimmed, with their 1-based line numbers.</summary>
    /// <exception cref="FileNotFoundException">The file is missing; the message says what it is for.</exception>
    public static List<(int Line, string Text)> ReadList(string path, string what)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: not found ({what})", path);
        var lines = new List<(int, string)>();
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var text = raw.Trim();
            if (text.Length > 0 && !text.StartsWith('#'))
                lines.Add((number, text));
        }
        return lines;
    }

    /// <summary>Class names by label 0..max; a label without a name is an error naming <paramref name="source"/>.</summary>
    public static List<string> NamesByLabel(IReadOnlyDictionary<int, string> names, string source)
    {
        var count = names.Count == 0 ? 0 : names.Keys.Max() + 1;
        var list = new List<string>(count);
        for (var label = 0; label < count; label++)
        {
            if (!names.TryGetValue(label, out var name))
                throw new InvalidDataException($"{source}: no image names class {label + 1} of {count} (1-based)");
            list.Add(name);
        }
        return list;
    }
}
