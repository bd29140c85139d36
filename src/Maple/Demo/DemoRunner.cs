using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maple.Clip;
using Maple.Data;
using Maple.Evaluation;
using Maple.Evaluation.Ood;
using Maple.Prompting;
using Maple.Tokenization;
using Maple.Training;

namespace Maple.Demo;

/// <summary>What a demo run produced.</summary>
/// <param name="Table">The base-to-novel table.</param>
/// <param name="ModelFolder">The pretrained CLIP's folder (usable as <c>--model</c> by every command).</param>
/// <param name="PretrainedNow">Whether the model was pretrained in this run rather than found in the cache.</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="OutputFolder">Where the images, prompts and results were written.</param>
/// <param name="Ood">The OOD table: zero-shot MCM against MaPLe's MCM and GL-MCM, base test images against unseen shapes.</param>
public sealed record DemoResult(DemoTable Table, string ModelFolder, bool PretrainedNow, TimeSpan Elapsed, string OutputFolder, DemoOodTable Ood);

/// <summary>
/// Runs the paper's base-to-novel comparison on the demo world: gets the pretrained small CLIP (from the
/// cache, or pretrains it), renders the downstream task in its shifted style (K shots of each base class
/// for training; test images of base and novel classes), then scores zero-shot CLIP and trains and scores
/// CoOp and MaPLe with the library's <see cref="Trainer"/> and <see cref="Evaluator"/>. Everything is
/// determined by the settings and the seed; the seed picks the training images and the prompts'
/// initialisation, while the backbone and the test images stay the same across seeds, as in the paper.
/// </summary>
public sealed class DemoRunner
{
    const long TestSeed = 0;

    // fp32 whatever the CPU, so that the demo's numbers do not depend on the machine.
    const Precision ComputePrecision = Precision.Fp32;

    readonly DemoSettings _settings;
    readonly long _seed;
    readonly string _cacheRoot;
    readonly string _output;
    readonly DemoWorld _world;

    /// <summary>Prepares a run.</summary>
    /// <param name="settings">Sizes (<see cref="DemoSettings.Full"/> or <see cref="DemoSettings.Quick"/>).</param>
    /// <param name="outputFolder">Where images, prompts and results go (the demo's own sub-folders in it are replaced).</param>
    /// <param name="seed">Seeds the few-shot training images and the prompt initialisation.</param>
    /// <param name="cacheRoot">Where the pretrained model is kept; <see cref="DemoModelCache.DefaultRoot"/> when null.</param>
    /// <param name="world">The world; <see cref="DemoWorld.Default"/> when null.</param>
    public DemoRunner(DemoSettings settings, string outputFolder, long seed = 1, string? cacheRoot = null, DemoWorld? world = null)
    {
        if (settings.MapleDepth > Math.Min(settings.TextLayers, settings.VisionLayers))
            throw new ArgumentException($"MaPLe's depth {settings.MapleDepth} exceeds the encoders' layers");
        _settings = settings;
        _seed = seed;
        _output = Path.GetFullPath(outputFolder);
        _cacheRoot = cacheRoot ?? DemoModelCache.DefaultRoot;
        _world = world ?? DemoWorld.Default;
    }

    /// <summary>Runs the demo; writes <c>results.json</c> and <c>results.md</c> into the output folder.</summary>
    public DemoResult Run(IProgress<DemoProgress>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var modelFolder = DemoModelCache.GetOrCreate(_cacheRoot, _settings, _world, out var pretrainedNow, progress, cancellation);
        using var clip = ClipModel.Load(modelFolder, ComputePrecision);
        var tokenizer = ClipTokenizer.FromDirectory(modelFolder);

        var dataFolder = Path.Combine(_output, "data");
        if (Directory.Exists(dataFolder))
            Directory.Delete(dataFolder, recursive: true);
        var baseNames = _world.BaseClasses.Select(c => c.Name).ToList();
        var novelNames = _world.NovelClasses.Select(c => c.Name).ToList();
        var size = _settings.ImageSize;
        var perSplit = _world.BaseClasses.Count * _settings.Shots + (_world.Classes.Count + _world.OodClasses.Count) * _settings.TestImagesPerClass;
        var rendered = 0;
        IProgress<int> Render(int offset) => new SyncProgress<int>(done =>
            progress?.Report(new DemoProgress("rendering downstream images", offset + done, perSplit, $"rendering downstream images: {offset + done}/{perSplit}")));
        var train = DemoImages.Render(Path.Combine(dataFolder, "train"), _world.BaseClasses, DemoStyle.Downstream, _settings.Shots, size, _seed, "train", Render(rendered), cancellation).Data;
        rendered += train.Items.Count;
        var testBase = DemoImages.Render(Path.Combine(dataFolder, "test-base"), _world.BaseClasses, DemoStyle.Downstream, _settings.TestImagesPerClass, size, TestSeed, "test", Render(rendered), cancellation).Data;
        rendered += testBase.Items.Count;
        var testNovel = DemoImages.Render(Path.Combine(dataFolder, "test-novel"), _world.NovelClasses, DemoStyle.Downstream, _settings.TestImagesPerClass, size, TestSeed, "test", Render(rendered), cancellation).Data;
        rendered += testNovel.Items.Count;
        // Out-of-distribution images: shapes that neither pretraining, nor prompt learning, nor either test split contains.
        var ood = DemoImages.Render(Path.Combine(dataFolder, "ood"), _world.OodClasses, DemoStyle.Downstream, _settings.TestImagesPerClass, size, TestSeed, "test", Render(rendered), cancellation).Data;
        var oodSets = new[] { new NamedDataset("unseen shapes", ood) };
        var oodRows = new List<DemoOodRow>();

        var methods = new (string Name, PromptConfig Prompts, TrainingOptions? Options)[]
        {
            ("Zero-shot CLIP", PromptConfig.ZeroShot(), null),
            ("CoOp", PromptConfig.CoOp(_settings.CoOpContext, _settings.CoOpInit), Options(_settings.CoOpBatchSize, _settings.CoOpLearningRate)),
            ("MaPLe", PromptConfig.Maple(_settings.MapleContext, _settings.MapleDepth), Options(_settings.MapleBatchSize, _settings.MapleLearningRate)),
        };
        var rows = new List<DemoRow>();
        var details = new JsonArray();
        foreach (var (name, prompts, options) in methods)
        {
            using var learner = PromptLearners.Create(prompts, clip, tokenizer, _seed);
            if (options is not null)
            {
                var runFolder = Path.Combine(_output, "runs", PromptMethods.Name(prompts.Method));
                if (Directory.Exists(runFolder))
                    Directory.Delete(runFolder, recursive: true);
                using var training = new PromptedClip(clip, learner, tokenizer, baseNames);
                var trainer = new Trainer(training, train, options, runFolder, modelFolder);
                var steps = options.Epochs * trainer.StepsPerEpoch;
                trainer.Run(progress: new SyncProgress<TrainingProgress>(p => progress?.Report(new DemoProgress(name, p.GlobalStep, steps,
                    string.Create(CultureInfo.InvariantCulture, $"{name}: epoch {p.Epoch + 1}/{options.Epochs} loss {p.Loss:F3} acc {100 * p.Accuracy:F0}%")))),
                    cancellation: cancellation);
            }
            var baseAccuracy = Evaluate(clip, learner, tokenizer, baseNames, testBase, $"{name} (base)", progress, cancellation);
            var novelAccuracy = Evaluate(clip, learner, tokenizer, novelNames, testNovel, $"{name} (novel)", progress, cancellation);
            if (options is null || prompts.Method == PromptMethod.Maple)
            {
                // ID = the base classes' test images, named by the base classes (the label set MaPLe was trained on).
                using var prompted = new PromptedClip(clip, learner, tokenizer, baseNames);
                var scores = options is null
                    ? new[] { ("MCM", new OodScoreOptions(OodScore.Mcm)) }
                    : new[] { ("MCM", new OodScoreOptions(OodScore.Mcm)), ("GL-MCM", new OodScoreOptions(OodScore.GlMcm)) };
                foreach (var (scoreName, scoreOptions) in scores)
                {
                    var stage = $"{name} OOD ({scoreName})";
                    var oodResult = OodEvaluation.Run(prompted, testBase, oodSets, scoreOptions, batchSize: 64,
                        progress: new SyncProgress<OodProgress>(p => progress?.Report(new DemoProgress(stage, p.Done, p.Total, $"{stage}: {p.Set} {p.Done}/{p.Total}"))),
                        cancellation: cancellation);
                    oodRows.Add(new DemoOodRow(name, scoreName, 100 * oodResult.Average.Auroc, 100 * oodResult.Average.Fpr95));
                }
            }
            var row = new DemoRow(name, 100 * baseAccuracy, 100 * novelAccuracy);
            rows.Add(row);
            details.Add(new JsonObject
            {
                ["method"] = name,
                ["prompt_method"] = PromptMethods.Name(learner.Config.Method),
                ["n_ctx"] = learner.Config.TextTokens,
                ["depth"] = learner.Config.TextDepth,
                ["prompt_example"] = learner.PromptTexts([baseNames[0]])[0],
                ["epochs"] = options?.Epochs,
                ["batch_size"] = options?.BatchSize,
                ["lr"] = options?.LearningRate,
            });
        }

        var table = new DemoTable(rows);
        var result = new DemoResult(table, modelFolder, pretrainedNow, clock.Elapsed, _output, new DemoOodTable(oodRows));
        WriteResults(result, details, train, testBase, testNovel, ood);
        return result;
    }

    TrainingOptions Options(int batchSize, double learningRate) => new()
    {
        Epochs = _settings.Epochs,
        BatchSize = batchSize,
        LearningRate = learningRate,
        Seed = _seed,
        // Random resized crops down to 8% of a 32-pixel image would cut most shapes out of their picture.
        Augment = false,
    };

    static double Evaluate(ClipModel clip, PromptLearner learner, ClipTokenizer tokenizer, IReadOnlyList<string> classNames, ImageDataset data,
        string stage, IProgress<DemoProgress>? progress, CancellationToken cancellation)
    {
        using var prompted = new PromptedClip(clip, learner, tokenizer, classNames);
        var result = Evaluator.Evaluate(prompted, data, batchSize: 64,
            progress: new SyncProgress<EvaluationProgress>(p => progress?.Report(new DemoProgress(stage, p.Done, p.Total,
                string.Create(CultureInfo.InvariantCulture, $"{stage}: accuracy {100.0 * p.Correct / Math.Max(1, p.Done):F1}%")))),
            cancellation: cancellation);
        return result.Metrics.Accuracy;
    }

    void WriteResults(DemoResult result, JsonArray methods, ImageDataset train, ImageDataset testBase, ImageDataset testNovel, ImageDataset ood)
    {
        var json = new JsonObject
        {
            ["seed"] = _seed,
            ["model"] = result.ModelFolder,
            ["precision"] = PrecisionSupport.Name(ComputePrecision),
            ["pretrained_now"] = result.PretrainedNow,
            ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 1),
            ["base_classes"] = new JsonArray(_world.BaseClasses.Select(c => (JsonNode)c.Name).ToArray()),
            ["novel_classes"] = new JsonArray(_world.NovelClasses.Select(c => (JsonNode)c.Name).ToArray()),
            ["shots"] = _settings.Shots,
            ["train_images"] = train.Items.Count,
            ["test_base_images"] = testBase.Items.Count,
            ["test_novel_images"] = testNovel.Items.Count,
            ["ood_classes"] = new JsonArray(_world.OodClasses.Select(c => (JsonNode)c.Name).ToArray()),
            ["ood_images"] = ood.Items.Count,
            ["results"] = result.Table.ToJson(),
            ["ood"] = result.Ood.ToJson(),
            ["methods"] = methods,
            ["settings"] = JsonSerializer.SerializeToNode(_settings),
        };
        AtomicFile.WriteText(Path.Combine(_output, "results.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var markdown = string.Create(CultureInfo.InvariantCulture,
            $"# maple demo (seed {_seed})\n\nBase-to-novel on the demo world: {_world.BaseClasses.Count} base and {_world.NovelClasses.Count} novel classes, " +
            $"{_settings.Shots} shots per base class, {_settings.TestImagesPerClass} test images per class.\n\n") + result.Table.ToMarkdown() +
            string.Create(CultureInfo.InvariantCulture,
            $"\n## OOD detection\n\nID: the {testBase.Items.Count} test images of the base classes; OOD: {ood.Items.Count} images of shapes seen nowhere else " +
            $"({string.Join(", ", DemoWorld.OodShapes.Select(DemoClass.ShapeWord))}, in every colour). AUROC higher is better, FPR95 lower.\n\n") + result.Ood.ToMarkdown();
        AtomicFile.WriteText(Path.Combine(_output, "results.md"), markdown);
        var rows = result.Table.Rows;
        Plots.GroupedBars(Path.Combine(_output, "results.png"), $"maple demo, base-to-novel (seed {_seed})", ["Base", "Novel", "HM"],
            rows.Select(r => r.Method).ToList(), rows.Select(r => (IReadOnlyList<double>)[r.Base, r.Novel, r.HarmonicMean]).ToList(), "accuracy (%)");
        var oodRows = result.Ood.Rows;
        Plots.GroupedBars(Path.Combine(_output, "ood.png"), $"maple demo, OOD: base classes vs unseen shapes (seed {_seed})", ["AUROC", "FPR95"],
            oodRows.Select(r => $"{r.Method} {r.Score}").ToList(), oodRows.Select(r => (IReadOnlyList<double>)[r.Auroc, r.Fpr95]).ToList(), "%");
    }
}
