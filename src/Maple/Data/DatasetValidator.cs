using Maple.Imaging;

namespace Maple.Data;

/// <summary>
/// Finds the images of a dataset that cannot be read, so that a run can report them by path and skip them with a
/// count, or stop (a <c>--strict</c> run), before it starts.
/// </summary>
public static class DatasetValidator
{
    /// <summary>The unreadable images of <paramref name="dataset"/>, in dataset order (each distinct path checked once).</summary>
    /// <param name="dataset">The images.</param>
    /// <param name="check">Header only, or a full decode.</param>
    /// <param name="maxParallelism">Files checked at once.</param>
    /// <param name="progress">Receives the number of distinct files checked so far, now and then and at the end.</param>
    /// <param name="cancellation">Stops the check.</param>
    public static IReadOnlyList<UnreadableImage> FindUnreadable(ImageDataset dataset, ImageCheck check = ImageCheck.Header, int maxParallelism = 1,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelism, 1);
        var paths = dataset.Items.Select(i => i.Path).Distinct(StringComparer.Ordinal).ToList();
        var reasons = new string?[paths.Count];
        var done = 0;
        Parallel.For(0, paths.Count, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism, CancellationToken = cancellation }, i =>
        {
            reasons[i] = Problem(paths[i], check);
            var n = Interlocked.Increment(ref done);
            if (n % 256 == 0)
                progress?.Report(n);
        });
        progress?.Report(paths.Count);
        var bad = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < paths.Count; i++)
        {
            if (reasons[i] is { } reason)
                bad[paths[i]] = reason;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return dataset.Items.Where(i => bad.ContainsKey(i.Path) && seen.Add(i.Path))
            .Select(i => new UnreadableImage(i.Path, i.Label, bad[i.Path])).ToList();
    }

    /// <summary>What is wrong with one image, or null when it reads.</summary>
    public static string? Problem(string path, ImageCheck check = ImageCheck.Header)
    {
        try
        {
            if (check == ImageCheck.Header)
                ImageHeader.Read(path);
            else
                ImageDecoder.Decode(path);
            return null;
        }
        catch (ImageDecodeException e)
        {
            return e.Problem;
        }
    }

    /// <summary><paramref name="dataset"/> without the images in <paramref name="unreadable"/> (class names kept).</summary>
    public static ImageDataset WithoutUnreadable(ImageDataset dataset, IEnumerable<UnreadableImage> unreadable)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var skip = unreadable.Select(u => u.Path).ToHashSet(StringComparer.Ordinal);
        if (skip.Count == 0)
            return dataset;
        var kept = dataset.Items.Where(i => !skip.Contains(i.Path)).ToList();
        return new ImageDataset($"{dataset.Source}, {dataset.Items.Count - kept.Count} unreadable images skipped", dataset.ClassNames, kept);
    }
}
