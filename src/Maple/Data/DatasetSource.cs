namespace Maple.Data;

/// <summary>
/// Opens the data a command names: an image folder, a split file with its image root, or a benchmark by name
/// under a data root.
/// </summary>
public static class DatasetSource
{
    /// <summary>The one split an image folder has; <see cref="Open"/> ignores the split for folders.</summary>
    public const string FolderSplit = "all";

    /// <summary>
    /// With <paramref name="dataset"/>, the benchmark of that name under <paramref name="dataRoot"/> (or under
    /// <paramref name="data"/> when no root is given), see <see cref="BenchmarkDatasets.Open"/>. Otherwise
    /// <paramref name="data"/> is an ImageFolder root, or a split JSON file (images resolved under
    /// <paramref name="imageRoot"/>, by default the file's folder and its <c>images/</c> sub-folder when present).
    /// <paramref name="classesFile"/>, when given, names the classes (line i = label i) and wins.
    /// <paramref name="allowEmptyClasses"/> keeps an image folder's empty class folders as classes without images.
    /// </summary>
    /// <exception cref="UserInputException">Neither data nor a dataset is named, or a dataset without a root.</exception>
    public static ImageDataset Open(string? data, string split = "train", string? imageRoot = null, string? classesFile = null,
        string? dataRoot = null, string? dataset = null, bool allowEmptyClasses = false)
    {
        ImageDataset opened;
        if (dataset is not null)
        {
            var root = dataRoot ?? data ?? throw new UserInputException($"benchmark dataset {dataset} needs a data root, the folder that holds the datasets");
            opened = BenchmarkDatasets.Open(root, dataset, split);
        }
        else if (data is null)
        {
            throw new UserInputException(NoData);
        }
        else if (File.Exists(data) && data.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            opened = SplitFile.Load(data, SplitImageRoot(data, imageRoot), split);
        }
        else
        {
            opened = ImageFolder.Load(data, allowEmptyClasses);
        }
        return classesFile is null ? opened : opened.WithClassNames(ReadClassNames(classesFile), classesFile);
    }

    /// <summary>
    /// The splits that <see cref="Open"/> can read from the same arguments: a benchmark's splits, a split file's
    /// splits, or <see cref="FolderSplit"/> for an image folder.
    /// </summary>
    public static IReadOnlyList<string> SplitNames(string? data, string? dataRoot = null, string? dataset = null)
    {
        if (dataset is not null)
            return BenchmarkDatasets.Resolve(dataset).Splits;
        if (data is null)
            throw new UserInputException(NoData);
        if (File.Exists(data) && data.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return SplitFile.SplitNames(data);
        return [FolderSplit];
    }

    const string NoData = "no data: give an image folder or a split file, or a data root with a benchmark dataset's name";

    /// <summary>Reads a class-name file: one name per line, no blank lines, no repeats (<see cref="ClassNameFile"/>).</summary>
    public static IReadOnlyList<string> ReadClassNames(string path) => ClassNameFile.Read(path);

    static string SplitImageRoot(string splitFile, string? imageRoot)
    {
        if (imageRoot is not null)
            return imageRoot;
        var folder = Path.GetDirectoryName(Path.GetFullPath(splitFile))!;
        return Directory.Exists(Path.Combine(folder, "images")) ? Path.Combine(folder, "images") : folder;
    }
}
