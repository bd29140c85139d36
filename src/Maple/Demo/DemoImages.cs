using Maple.Data;

namespace Maple.Demo;

/// <summary>
/// Renders a split of the demo world to PNG files in the ImageFolder layout (one sub-folder per class,
/// <c>red_star/0007.png</c>), so it can also be given to <c>maple train</c> and <c>maple eval</c>.
/// </summary>
public static class DemoImages
{
    /// <summary>
    /// Draws <paramref name="perClass"/> scenes of each of <paramref name="classes"/> in <paramref name="style"/>
    /// (from <paramref name="seed"/> and the split's name <paramref name="stream"/>) and writes them under
    /// <paramref name="root"/>. Labels index <paramref name="classes"/>.
    /// </summary>
    public static (ImageDataset Data, IReadOnlyList<DemoScene> Scenes) Render(string root, IReadOnlyList<DemoClass> classes, DemoStyle style,
        int perClass, int size, long seed, string stream, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var scenes = new List<DemoScene>();
        var items = new List<LabeledImage>();
        for (var label = 0; label < classes.Count; label++)
        {
            var folder = Path.Combine(Path.GetFullPath(root), classes[label].Name.Replace(' ', '_'));
            for (var i = 0; i < perClass; i++)
            {
                // Scenes are keyed by the class's name, not its label, so a class looks the same in any class list.
                var rng = DemoRandom.For(seed, $"{stream}/{classes[label].Name}", i);
                scenes.Add(DemoWorld.Sample(classes[label], style, size, rng));
                items.Add(new LabeledImage(Path.Combine(folder, $"{i:D4}.png"), label));
            }
        }

        var done = 0;
        var gate = new Lock();
        Parallel.For(0, scenes.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount), CancellationToken = cancellation }, i =>
        {
            ShapeRenderer.WritePng(scenes[i], items[i].Path);
            lock (gate)
            {
                done++;
                if (done % 64 == 0 || done == scenes.Count)
                    progress?.Report(done);
            }
        });
        return (new ImageDataset(root, classes.Select(c => c.Name).ToList(), items), scenes);
    }
}
