namespace Maple.Data.Benchmarks;

/// <summary>How one benchmark lies on disk and how its splits are read.</summary>
abstract class BenchmarkLayout
{
    public abstract BenchmarkInfo Info { get; }

    /// <summary>True when <paramref name="dir"/> holds this dataset's marker files or folders.</summary>
    public abstract bool LooksLike(string dir);

    /// <summary>Reads <paramref name="split"/> (one of <see cref="BenchmarkInfo.Splits"/>) from the dataset folder <paramref name="dir"/>.</summary>
    /// <param name="root">The data root, where a layout may look for files shared between datasets (ImageNet's class names).</param>
    /// <param name="dir">The dataset's own folder, full path.</param>
    /// <param name="split">The split.</param>
    public abstract ImageDataset Load(string root, string dir, string split);
}
