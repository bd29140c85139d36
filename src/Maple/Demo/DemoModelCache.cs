using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maple.Clip;
using Maple.Clip.Weights;
using Maple.Imaging;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Demo;

/// <summary>
/// The demo's pretrained CLIP, kept as a Hugging Face folder (<c>config.json</c>, <c>model.safetensors</c>,
/// <c>vocab.json</c>, <c>merges.txt</c>, <c>preprocessor_config.json</c>) in
/// <c>&lt;cache&gt;/demo-&lt;hash of the settings&gt;/</c>. It is built in a temporary folder beside it and
/// renamed into place when complete, so a folder of that name is always a whole model: an interrupted
/// build leaves only a temporary folder, and the next run starts over.
/// </summary>
public static class DemoModelCache
{
    /// <summary>The manifest written with the model: the settings and how pretraining went.</summary>
    public const string ManifestName = "demo.json";

    static readonly string[] ModelFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json", ManifestName];

    /// <summary>Maple's cache folder (<see cref="MapleInfo.CacheRoot"/>).</summary>
    public static string DefaultRoot => MapleInfo.CacheRoot;

    /// <summary>The folder the model of <paramref name="settings"/> lives in under <paramref name="cacheRoot"/>.</summary>
    public static string FolderFor(string cacheRoot, DemoSettings settings, DemoWorld world) =>
        Path.Combine(Path.GetFullPath(cacheRoot), $"demo-{settings.ModelHash(world, DemoVocabulary.ForWorld(world))}");

    /// <summary>Whether <paramref name="folder"/> holds every file of a demo model.</summary>
    public static bool IsComplete(string folder) => ModelFiles.All(f => File.Exists(Path.Combine(folder, f)));

    /// <summary>
    /// The model folder of <paramref name="settings"/>, pretraining it first when the cache lacks it.
    /// <paramref name="built"/> tells which happened.
    /// </summary>
    public static string GetOrCreate(string cacheRoot, DemoSettings settings, DemoWorld world, out bool built,
        IProgress<DemoProgress>? progress = null, CancellationToken cancellation = default)
    {
        var folder = FolderFor(cacheRoot, settings, world);
        built = false;
        if (IsComplete(folder))
            return folder;

        var temp = Path.Combine(Path.GetDirectoryName(folder)!, $".{Path.GetFileName(folder)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Build(temp, settings, world, progress, cancellation);
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true); // an incomplete leftover of an older layout
            try
            {
                Directory.Move(temp, folder);
            }
            catch (IOException) when (IsComplete(folder))
            {
                // Another run finished the same model first: theirs is as good as ours.
            }
            built = true;
            return folder;
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Renders the pretraining images, pretrains a CLIP on them and writes the model into <paramref name="folder"/>.</summary>
    public static void Build(string folder, DemoSettings settings, DemoWorld world, IProgress<DemoProgress>? progress = null, CancellationToken cancellation = default)
    {
        // One intra-op thread: libtorch splits its reductions by thread count, so a model pretrained on two
        // threads differs from one pretrained on one; on one thread the model depends on the settings alone.
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            BuildOnOneThread(folder, settings, world, progress, cancellation);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    static void BuildOnOneThread(string folder, DemoSettings settings, DemoWorld world, IProgress<DemoProgress>? progress, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(folder);
        var vocabulary = DemoVocabulary.ForWorld(world);
        vocabulary.Write(folder);
        var tokenizer = ClipTokenizer.FromDirectory(folder);
        var seed = settings.Pretraining.Seed;

        var imageFolder = Path.Combine(folder, "pretraining-images");
        var total = world.Classes.Count * settings.PretrainImagesPerClass;
        var (data, scenes) = DemoImages.Render(imageFolder, world.Classes, DemoStyle.Pretraining, settings.PretrainImagesPerClass,
            settings.ImageSize, seed, "pretraining", Report(progress, "rendering pretraining images", total), cancellation);

        using var model = new ClipModel(settings.ModelConfig(vocabulary.Size), Precision.Fp32);
        model.InitializeForTraining(seed);
        model.Normalization = ImageNormalization.Clip;
        var transform = new EvalTransform(settings.ImageSize, model.Normalization);
        using var images = transform.LoadBatch(data.Items.Select(i => i.Path).ToList(), Math.Max(1, Environment.ProcessorCount)).DetachFromDisposeScope();
        Directory.Delete(imageFolder, recursive: true);

        var pretraining = new ContrastivePretraining(model, tokenizer, settings.Pretraining);
        var pretrainProgress = progress is null ? null : new PretrainReporter(progress);
        var losses = pretraining.Run(images, data.Items.Select(i => i.Label).ToList(),
            (i, rng) => DemoCaptions.Describe(scenes[i], rng), pretrainProgress, cancellation);

        ClipWeightWriter.SaveHuggingFace(model, folder);
        PreprocessorConfig.Write(Path.Combine(folder, "preprocessor_config.json"), model.Normalization, settings.ImageSize);
        var window = Math.Max(1, losses.Count / 10);
        var manifest = new JsonObject
        {
            ["format"] = "maple-demo-model",
            ["maple_version"] = MapleInfo.Version,
            ["world"] = world.Describe(),
            ["classes"] = new JsonArray(world.Classes.Select(c => (JsonNode)c.Name).ToArray()),
            ["settings"] = JsonSerializer.SerializeToNode(settings),
            ["pretraining_images"] = total,
            ["loss_first"] = losses.Take(window).Average(),
            ["loss_last"] = losses.TakeLast(window).Average(),
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
        AtomicFile.WriteText(Path.Combine(folder, ManifestName), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    static IProgress<int> Report(IProgress<DemoProgress>? progress, string stage, int total) =>
        new SyncProgress<int>(done => progress?.Report(new DemoProgress(stage, done, total, $"{stage}: {done}/{total}")));

    sealed class PretrainReporter(IProgress<DemoProgress> progress) : IProgress<PretrainingProgress>
    {
        public void Report(PretrainingProgress p) => progress.Report(new DemoProgress("pretraining", p.Step, p.TotalSteps, string.Create(CultureInfo.InvariantCulture,
            $"pretraining step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} acc {100 * p.Accuracy:F0}% scale {p.LogitScale:F1} ETA {p.Eta:mm\\:ss}")));
    }
}
