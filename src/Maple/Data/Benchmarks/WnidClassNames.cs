namespace Maple.Data.Benchmarks;

/// <summary>
/// ImageNet's <c>classnames.txt</c> as CoOp ships it: "n01440764 tench" per line, in label order (the
/// wnids sorted), the name being CLIP's prompt-engineered class name.
/// </summary>
sealed class WnidClassNames
{
    WnidClassNames(string path, List<string> wnids, Dictionary<string, string> names)
    {
        Path = path;
        Wnids = wnids;
        _names = names;
    }

    readonly Dictionary<string, string> _names;

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The wnids in file order.</summary>
    public IReadOnlyList<string> Wnids { get; }

    /// <summary>The name of <paramref name="wnid"/>; an error naming <paramref name="where"/> when the file lacks it.</summary>
    public string NameOf(string wnid, string where) => _names.TryGetValue(wnid, out var name)
        ? name
        : throw new InvalidDataException($"{where}: class folder '{wnid}' is not in {Path}");

    /// <summary>
    /// Finds and reads the file: in the dataset folder (where CoOp's DATASETS.md has it copied for each ImageNet
    /// variant), else in the data root's <c>imagenet/</c> folder.
    /// </summary>
    public static WnidClassNames Find(string root, string dir, string dataset)
    {
        var candidates = new[] { System.IO.Path.Combine(dir, "classnames.txt"), System.IO.Path.Combine(root, "imagenet", "classnames.txt") };
        var path = LayoutFiles.FirstFile(candidates) ?? throw new FileNotFoundException(
            $"{candidates[0]}: not found. {dataset} names its classes with ImageNet's classnames.txt (\"n01440764 tench\" per line, " +
            "linked from CoOp's DATASETS.md): put it in the dataset folder or in the data root's imagenet/ folder", candidates[0]);
        var wnids = new List<string>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, text) in LayoutFiles.ReadList(path, "ImageNet's class names"))
        {
            var space = text.IndexOf(' ');
            if (space <= 0)
                throw new InvalidDataException($"{path}:{line}: expected \"wnid class name\", got \"{text}\"");
            var wnid = text[..space];
            if (!names.TryAdd(wnid, text[(space + 1)..].Trim()))
                throw new InvalidDataException($"{path}:{line}: '{wnid}' is listed twice");
            wnids.Add(wnid);
        }
        if (wnids.Count == 0)
            throw new InvalidDataException($"{path}: no class names");
        return new WnidClassNames(path, wnids, names);
    }
}
