using System.IO.Enumeration;

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
    /// <param name="root">The folder of class folders.</param>
    /// <param name="allowEmptyClasses">Keep a class folder without images as a class with none (to report it, as
    /// <see cref="DatasetInspector"/> does) instead of refusing the dataset.</param>
    /// <exception cref="InvalidDataException">No class folders, or a class folder without images.</exception>
    public static ImageDataset Load(string root, bool allowEmptyClasses = false)
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
            var images = FindImages(folder);
            if (images.Count == 0 && !allowEmptyClasses)
                throw new InvalidDataException($"{folder}: class '{folders[label]}' has no images ({string.Join(", ", ImageExtensions)})");
            items.AddRange(images.Select(p => new LabeledImage(Path.GetFullPath(p), label)));
        }
        return new ImageDataset(root, DisplayNames(root, folders), items);
    }

    /// <summary>
    /// The files under <paramref name="folder"/> and its sub-folders with an image extension, sorted ordinally, each
    /// as the folder's path joined with its relative path. A folder reached through a link is entered once, and not
    /// at all when it holds <paramref name="folder"/> itself, so link cycles neither hang the scan nor multiply it.
    /// </summary>
    internal static List<string> FindImages(string folder)
    {
        var root = RealPath(folder);
        var entered = new HashSet<string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        var files = new FileSystemEnumerable<string>(folder, (ref FileSystemEntry e) => e.ToSpecifiedFullPath(), options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && ImageExtensions.Contains(Path.GetExtension(e.FileName).ToString()),
            ShouldRecursePredicate = (ref FileSystemEntry e) => ShouldEnter(e.ToFullPath(), root, entered),
        };
        return files.Order(StringComparer.Ordinal).ToList();
    }

    static bool ShouldEnter(string path, string root, HashSet<string> entered)
    {
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is null)
            return true;
        var target = RealPath(path);
        var prefix = target.EndsWith(Path.DirectorySeparatorChar) ? target : target + Path.DirectorySeparatorChar;
        if (root == target || root.StartsWith(prefix, StringComparison.Ordinal))
            return false;
        lock (entered)
            return entered.Add(target);
    }

    static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        return new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName is { } target ? Path.GetFullPath(target) : full;
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
