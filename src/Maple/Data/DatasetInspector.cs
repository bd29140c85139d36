using System.Runtime.ExceptionServices;

namespace Maple.Data;

/// <summary>
/// Looks a dataset over before training: its classes, the images per class in each split, image sizes (from the
/// headers of a sample) and its problems: splits that cannot be read, missing and unreadable files, empty
/// classes, images listed twice, images shared between splits and files with the same bytes (by SHA-256, when images
/// are verified). Used by <c>maple data inspect</c>.
/// </summary>
public static class DatasetInspector
{
    /// <summary>Inspects the splits <paramref name="splits"/>, each read by <paramref name="open"/>.</summary>
    /// <param name="splits">The split names, e.g. from <see cref="DatasetSource.SplitNames"/>.</param>
    /// <param name="open">Reads one split, e.g. with <see cref="DatasetSource.Open"/>.</param>
    /// <param name="options">What to check; defaults to <see cref="InspectOptions"/>'s defaults.</param>
    /// <param name="progress">Receives the progress of the file checks.</param>
    /// <param name="cancellation">Stops the inspection.</param>
    /// <exception cref="Exception">Whatever <paramref name="open"/> threw, when no split at all could be read.</exception>
    public static DatasetReport Inspect(IReadOnlyList<string> splits, Func<string, ImageDataset> open, InspectOptions? options = null,
        IProgress<InspectProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(splits);
        ArgumentNullException.ThrowIfNull(open);
        options ??= new InspectOptions();
        var problems = new List<DatasetProblem>();
        var loaded = new List<(string Name, ImageDataset Data)>();
        ExceptionDispatchInfo? firstError = null;
        foreach (var split in splits)
        {
            try
            {
                loaded.Add((split, open(split)));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
            {
                firstError ??= ExceptionDispatchInfo.Capture(e);
                problems.Add(new DatasetProblem(ProblemKind.LoadError, split, null, $"split '{split}' cannot be read: {e.Message}"));
            }
        }
        if (loaded.Count == 0)
        {
            firstError?.Throw();
            throw new ArgumentException("no splits to inspect");
        }

        var classNames = loaded.Select(l => l.Data.ClassNames).MaxBy(n => n.Count)!;
        var summaries = new List<SplitSummary>();
        var distinct = new List<LabeledImage>();
        var firstSplit = new Dictionary<string, string>(StringComparer.Ordinal);
        var sharedReported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, data) in loaded)
        {
            var same = summaries.Zip(loaded).FirstOrDefault(p => p.First.SameAs is null && SameImages(p.Second.Data, data)).First?.Name;
            summaries.Add(new SplitSummary(name, data.Source, data.Items.Count, data.CountsPerClass(), same));
            if (same is not null)
                continue;
            if (data.Items.Count == 0)
            {
                problems.Add(new DatasetProblem(ProblemKind.EmptyClass, name, null, $"split '{name}' has no images"));
            }
            else
            {
                var counts = data.CountsPerClass();
                for (var label = 0; label < counts.Length; label++)
                {
                    if (counts[label] == 0)
                        problems.Add(new DatasetProblem(ProblemKind.EmptyClass, name, null, $"class {label} '{data.ClassNames[label]}' has no images in {name}"));
                }
            }
            foreach (var group in data.Items.GroupBy(i => i.Path, StringComparer.Ordinal).Where(g => g.Count() > 1))
                problems.Add(new DatasetProblem(ProblemKind.DuplicatePath, name, group.Key, $"{group.Key}: listed {group.Count()} times in {name}"));
            foreach (var item in data.Items)
            {
                if (firstSplit.TryAdd(item.Path, name))
                    distinct.Add(item);
                else if (firstSplit[item.Path] != name && sharedReported.Add(item.Path))
                    problems.Add(new DatasetProblem(ProblemKind.SharedBetweenSplits, firstSplit[item.Path], item.Path,
                        $"{item.Path}: in both {firstSplit[item.Path]} and {name}"));
            }
        }

        CheckFiles(distinct, firstSplit, options, problems, progress, cancellation);
        var unreadable = problems.Where(p => p.Path is not null && p.Kind is ProblemKind.MissingFile or ProblemKind.UnreadableFile)
            .Select(p => p.Path!).ToHashSet(StringComparer.Ordinal);
        if (options.Verify is not null)
            FindSameContent(distinct.Where(i => !unreadable.Contains(i.Path)).ToList(), firstSplit, classNames, options, problems, progress, cancellation);
        var sizes = SampleSizes(distinct.Where(i => !unreadable.Contains(i.Path)).ToList(), firstSplit, options, problems, cancellation);
        var ordered = problems.OrderBy(p => p.Kind).ToList();
        return new DatasetReport(classNames, summaries, sizes, ordered);
    }

    static bool SameImages(ImageDataset a, ImageDataset b) =>
        a.Items.Count == b.Items.Count && a.Items.Count > 0 && a.Items.SequenceEqual(b.Items);

    static void CheckFiles(List<LabeledImage> images, Dictionary<string, string> splitOf, InspectOptions options, List<DatasetProblem> problems,
        IProgress<InspectProgress>? progress, CancellationToken cancellation)
    {
        var stage = options.Verify switch
        {
            ImageCheck.Header => "reading image headers",
            ImageCheck.Decode => "decoding images",
            _ => "checking files exist",
        };
        var found = new DatasetProblem?[images.Count];
        var done = 0;
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelism), CancellationToken = cancellation }, i =>
        {
            var path = images[i].Path;
            var split = splitOf[path];
            var kind = InputFile.NotRegular(path);
            if (kind == InputFile.Missing)
                found[i] = new DatasetProblem(ProblemKind.MissingFile, split, path, $"{path}: listed in {split} but missing");
            else if (kind is not null)
                found[i] = new DatasetProblem(ProblemKind.UnreadableFile, split, path, $"{path}: {kind}, not a regular file; only regular files are read as images");
            else if (options.Verify is { } check && DatasetValidator.Problem(path, check) is { } reason)
                found[i] = new DatasetProblem(ProblemKind.UnreadableFile, split, path, $"{path}: {reason}");
            var n = Interlocked.Increment(ref done);
            if (n % 256 == 0)
                progress?.Report(new InspectProgress(stage, n, images.Count));
        });
        progress?.Report(new InspectProgress(stage, images.Count, images.Count));
        problems.AddRange(found.OfType<DatasetProblem>());
    }

    /// <summary>
    /// Reports files with the same bytes (SHA-256), e.g. an image copied into another class: only files whose size
    /// another file shares are hashed, so a dataset without copies costs one size lookup per file.
    /// </summary>
    static void FindSameContent(List<LabeledImage> images, Dictionary<string, string> splitOf, IReadOnlyList<string> classNames, InspectOptions options,
        List<DatasetProblem> problems, IProgress<InspectProgress>? progress, CancellationToken cancellation)
    {
        var candidates = images.GroupBy(i => new FileInfo(i.Path).Length).Where(g => g.Count() > 1).SelectMany(g => g).ToList();
        if (candidates.Count == 0)
            return;
        const string stage = "comparing files of equal size";
        var hashes = new string?[candidates.Count];
        var done = 0;
        Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelism), CancellationToken = cancellation }, i =>
        {
            try
            {
                using var stream = File.OpenRead(candidates[i].Path);
                hashes[i] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                hashes[i] = null; // unreadable now: reported by the file checks, not here
            }
            var n = Interlocked.Increment(ref done);
            if (n % 256 == 0)
                progress?.Report(new InspectProgress(stage, n, candidates.Count));
        });
        progress?.Report(new InspectProgress(stage, candidates.Count, candidates.Count));

        string Where(LabeledImage image) =>
            $"{image.Path} (class '{(image.Label < classNames.Count ? classNames[image.Label] : image.Label.ToString(System.Globalization.CultureInfo.InvariantCulture))}', {splitOf[image.Path]})";
        var copies = Enumerable.Range(0, candidates.Count).Where(i => hashes[i] is not null)
            .GroupBy(i => hashes[i]!, i => candidates[i]).Where(g => g.Count() > 1);
        foreach (var group in copies)
        {
            var first = group.First();
            problems.Add(new DatasetProblem(ProblemKind.SameContent, splitOf[first.Path], first.Path,
                $"same bytes: {string.Join(", ", group.Select(Where))}"));
        }
    }

    static SizeSummary? SampleSizes(List<LabeledImage> images, Dictionary<string, string> splitOf, InspectOptions options, List<DatasetProblem> problems,
        CancellationToken cancellation)
    {
        var count = Math.Min(Math.Max(options.SizeSample, 0), images.Count);
        var headers = new List<ImageHeader>(count);
        for (var k = 0; k < count; k++)
        {
            cancellation.ThrowIfCancellationRequested();
            // Evenly spaced, so a sample of a class-ordered dataset covers every part of it.
            var path = images[(int)((long)k * images.Count / count)].Path;
            try
            {
                headers.Add(ImageHeader.Read(path));
            }
            catch (Imaging.ImageDecodeException e)
            {
                problems.Add(new DatasetProblem(ProblemKind.UnreadableFile, splitOf[path], path, $"{path}: {e.Problem}"));
            }
        }
        if (headers.Count == 0)
            return null;
        var common = headers.GroupBy(h => (h.Width, h.Height)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Width).ThenBy(g => g.Key.Height)
            .Take(5).Select(g => (g.Key.Width, g.Key.Height, g.Count())).ToList();
        var formats = headers.GroupBy(h => h.Format).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());
        return new SizeSummary(headers.Count, headers.Min(h => h.Width), headers.Max(h => h.Width), headers.Min(h => h.Height), headers.Max(h => h.Height),
            common, formats);
    }
}
