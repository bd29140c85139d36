using System.Globalization;
using System.Text.RegularExpressions;

namespace Maple.Data.Benchmarks;

/// <summary>
/// UCF101 as CoOp's middle frames: <c>ucf101/UCF-101-midframes/&lt;Action_Words&gt;/*.jpg</c> with
/// <c>split_zhou_UCF101.json</c>. Without it, the first official split (<c>ucfTrainTestlist/classInd.txt</c>,
/// <c>trainlist01.txt</c>, <c>testlist01.txt</c>, naming the .avi videos) with 20% of training held out for
/// validation; each video's frame is the .jpg of the same name in its action's folder, whose name splits the
/// CamelCase action at capitals ("ApplyEyeMakeup" is "Apply_Eye_Makeup").
/// </summary>
sealed partial class Ucf101Layout : SplitFileLayout
{
    public override BenchmarkInfo Info { get; } = new("UCF101", "ucf101", BenchmarkSplits.TrainValTest,
        "ucf101/UCF-101-midframes/<Action>/ + split_zhou_UCF101.json", ["ucf101", "ucf-101", "ucf"]);

    protected override string SplitFileName => "split_zhou_UCF101.json";

    protected override IReadOnlyList<string> ImageFolders { get; } = ["UCF-101-midframes"];

    protected override PartedData Fallback(string dir, string imageDir)
    {
        var lists = Path.Combine(dir, "ucfTrainTestlist");
        var classesPath = Path.Combine(lists, "classInd.txt");
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new Dictionary<int, string>();
        foreach (var (line, text) in LayoutFiles.ReadList(classesPath, $"UCF101's class list, read when {SplitFileName} is absent"))
        {
            var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1
                || !labels.TryAdd(fields[1], id - 1) || !names.TryAdd(id - 1, FrameFolder(fields[1])))
                throw new InvalidDataException($"{classesPath}:{line}: expected \"id Action\" with a new id and action, got \"{text}\"");
        }
        var classNames = LayoutFiles.NamesByLabel(names, classesPath);
        var trainval = Read(Path.Combine(lists, "trainlist01.txt"), imageDir, labels);
        var test = Read(Path.Combine(lists, "testlist01.txt"), imageDir, labels);
        var (train, val) = SeededSplits.TrainVal(trainval, classNames, Path.Combine(lists, "trainlist01.txt"));
        return new PartedData(classNames, train, val, test,
            $"{SplitFileName} not found: {lists}/trainlist01.txt and testlist01.txt, 20% of training held out for validation with seed {SeededSplits.Seed}");
    }

    static List<LabeledImage> Read(string path, string imageDir, Dictionary<string, int> labels)
    {
        var items = new List<LabeledImage>();
        foreach (var (line, text) in LayoutFiles.ReadList(path, "UCF101's first official split"))
        {
            var where = $"{path}:{line}";
            var video = text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            var parts = video.Split('/');
            if (parts.Length != 2 || !labels.TryGetValue(parts[0], out var label))
                throw new InvalidDataException($"{where}: \"{text}\" is not \"Action/video.avi\" with an action of classInd.txt");
            var frame = parts[1].Replace(".avi", ".jpg", StringComparison.Ordinal);
            items.Add(new LabeledImage(SplitFile.PathInside(imageDir, $"{FrameFolder(parts[0])}/{frame}", where), label));
        }
        return items;
    }

    /// <summary>The frames' folder and class name of an action: its capitalised words joined by '_'.</summary>
    public static string FrameFolder(string action) => string.Join('_', CapitalisedWord().Matches(action).Select(m => m.Value));

    [GeneratedRegex("[A-Z][^A-Z]*")]
    private static partial Regex CapitalisedWord();
}
