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
/// <param name="Summary">The base-to-novel and OOD tables of every seed, and their mean ± std.</param>
/// <param name="ModelFolder">The pretrained CLIP's folder (usable as <c>--model</c> by every command).</param>
/// <param name="PretrainedNow">Whether the model was pretrained in this run rather than found in the cache.</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="OutputFolder">Where the images, prompts and results were written.</param>
public sealed record DemoResult(DemoSummary Summary, string ModelFolder, bool PretrainedNow, TimeSpan Elapsed, string OutputFolder);

/// <summary>
/// Runs the paper's base-to-novel comparison on the demo world: gets the pretrained small CLIP (from the
/// cache, or pretrains it), renders the downstream task in its shifted style (test images of base and
/// novel classes; for each seed, K shots of each base class for training), then scores zero-shot CLIP and,
/// for each seed, trains and scores CoOp and MaPLe with the library's <see cref="Trainer"/> and
/// <see cref="Evaluator"/>. Everything is determined by the settings and the seeds; a seed picks the training
/// images and the prompts' initialisation, while the backbone and the test images stay the same across
/// seeds, as in the paper.
/// </summary>
public sealed class DemoRunner
{
    /// <summary>The seeds the papers average over.</summary>
    public static IReadOnlyList<long> PaperSeeds { get; } = [1, 2, 3];

    const long TestSeed = 0;

    // fp32 whatever the CPU, so that the demo's numbers do not depend on the machine.
    const Precision ComputePrecision = Precision.Fp32;

    readonly DemoSettings _settings;
    readonly IReadOnlyList<long> _seeds;
    readonly string _cacheRoot;
    readonly string _output;
    readonly DemoWorld _world;

    /// <summary>Prepares a run.</summary>
    /// <param name="settings">Sizes (<see cref="DemoSettings.Full"/> or <see cref="DemoSettings.Quick"/>).</param>
    /// <param name="outputFolder">Where images, prompts and results go (the demo's own sub-folders in it are replaced).</param>
    /// <param name="seeds">Seeds of the few-shot training images and the prompt initialisation; <see cref="PaperSeeds"/> when null.</param>
    /// <param name="cacheRoot">Where the pretrained model is kept; <see cref="DemoModelCache.DefaultRoot"/> when null.</param>
    /// <param name="world">The world; <see cref="DemoWorld.Default"/> when null.</param>
    public DemoRunner(DemoSettings settings, string outputFolder, IReadOnlyList<long>? seeds = null, string? cacheRoot = null, DemoWorld? world = null)
    {
        if (settings.MapleDepth > Math.Min(settings.TextLayers, settings.VisionLayers))
            throw new ArgumentException($"MaPLe's depth {settings.MapleDepth} exceeds the encoders' layers");
        seeds ??= PaperSeeds;
        if (seeds.Count == 0 || seeds.Distinct().Count() != seeds.Count)
            throw new UserInputException($"the demo needs one or more distinct seeds (got {string.Join(", ", seeds)})");
        _settings = settings;
        _seeds = seeds;
        _output = Path.GetFullPath(outputFolder);
        _cacheRoot = cacheRoot ?? DemoModelCache.DefaultRoot;
        _world = world ?? DemoWorld.Default;
    }

    /// <summary>Runs the demo; writes <c>results.json</c>, <c>results.md</c> and plots into the output folder.</summary>
    public DemoResult Run(IProgress<DemoProgress>? progress = null, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var modelFolder = DemoModelCache.GetOrCreate(_cacheRoot, _settings, _world, out var pretrainedNow, progress, cancellation);
        using var clip = ClipModel.Load(modelFolder, ComputePrecision);
        var tokenizer = ClipTokenizer.FromDirectory(modelFolder);

        var dataFolder = Path.Combine(_output, "data");
        if (Directory.Exists(dataFolder))
            Directory.Delete(dataFolder, recursive: true);
        var runsFolder = Path.Combine(_output, "runs");
        if (Directory.Exists(runsFolder))
            Directory.Delete(runsFolder, recursive: true);
        var baseNames = _world.BaseClasses.Select(c => c.Name).ToList();
        var novelNames = _world.NovelClasses.Select(c => c.Name).ToList();
        var size = _settings.ImageSize;
        var total = _seeds.Count * _world.BaseClasses.Count * _settings.Shots + (_world.Classes.Count + _world.OodClasses.Count) * _settings.TestImagesPerClass;
        var rendered = 0;
        ImageDataset Render(string name, IReadOnlyList<DemoClass> classes, int perClass, long seed, string stream)
        {
            var offset = rendered;
            var data = DemoImages.Render(Path.Combine(dataFolder, name), classes, DemoStyle.Downstream, perClass, size, seed, stream,
                new SyncProgress<int>(done => progress?.Report(new DemoProgress("rendering downstream images", offset + done, total,
                    $"rendering downstream images: {offset + done}/{total}"))), cancellation).Data;
            rendered += data.Items.Count;
            return data;
        }
        var testBase = Render("test-base", _world.BaseClasses, _settings.TestImagesPerClass, TestSeed, "test");
        var testNovel = Render("test-novel", _world.NovelClasses, _settings.TestImagesPerClass, TestSeed, "test");
        // Out-of-distribution images: shapes that neither pretraining, nor prompt learning, nor either test split contains.
        var ood = Render("ood", _world.OodClasses, _settings.TestImagesPerClass, TestSeed, "test");
        var trainSets = _seeds.Select(seed => Render($"train-seed{seed}", _world.BaseClasses, _settings.Shots, seed, "train")).ToList();
        var split = new DemoSplit(baseNames, novelNames, testBase, testNovel, [new NamedDataset("unseen shapes", ood)]);

        // Zero-shot CLIP learns nothing: the same for every seed, so scored once.
        var methods = _settings.Methods();
        var fixedRows = methods.Where(m => !m.Learns).ToDictionary(m => m, m => Score(m, _seeds[0], train: null, modelFolder, clip, tokenizer, split, progress, cancellation));
        var seedResults = new List<DemoSeedResult>();
        var details = new JsonArray();
        for (var i = 0; i < _seeds.Count; i++)
        {
            var seed = _seeds[i];
            var scored = methods.Select(m => m.Learns ? Score(m, seed, trainSets[i], modelFolder, clip, tokenizer, split, progress, cancellation) : fixedRows[m]).ToList();
            seedResults.Add(new DemoSeedResult(seed, new DemoTable(scored.Select(s => s.Row).ToList()), new DemoOodTable(scored.SelectMany(s => s.Ood).ToList())));
            foreach (var s in scored)
            {
                var detail = (JsonObject)s.Details.DeepClone();
                detail["seed"] = seed;
                details.Add(detail);
            }
        }

        var result = new DemoResult(new DemoSummary(seedResults), modelFolder, pretrainedNow, clock.Elapsed, _output);
        WriteResults(result, details, trainSets[0].Items.Count, testBase, testNovel, ood);
        return result;
    }

    sealed record DemoSplit(IReadOnlyList<string> BaseNames, IReadOnlyList<string> NovelNames, ImageDataset TestBase, ImageDataset TestNovel, IReadOnlyList<NamedDataset> Ood);

    sealed record Scored(DemoRow Row, IReadOnlyList<DemoOodRow> Ood, JsonObject Details);

    /// <summary>Trains <paramref name="method"/>'s prompts on <paramref name="train"/> (unless it learns none) and scores them.</summary>
    Scored Score(DemoMethod method, long seed, ImageDataset? train, string modelFolder, ClipModel clip, ClipTokenizer tokenizer,
        DemoSplit split, IProgress<DemoProgress>? progress, CancellationToken cancellation)
    {
        var name = method.Name;
        // Random resized crops down to 8% of a 32-pixel image would cut most shapes out of their picture.
        var options = method.Learns ? method.Preset.Options with { Seed = seed, Augment = false } : null;
        using var learner = PromptLearners.Create(method.Preset.Prompts, clip, tokenizer, seed);
        var stageName = options is null ? name : $"{name} (seed {seed})";
        if (options is not null && train is not null)
        {
            var runFolder = Path.Combine(_output, "runs", $"seed{seed}", method.Preset.Name);
            using var training = new PromptedClip(clip, learner, tokenizer, split.BaseNames);
            var trainer = new Trainer(training, train, options, runFolder, modelFolder);
            var steps = options.Epochs * trainer.StepsPerEpoch;
            trainer.Run(progress: new SyncProgress<TrainingProgress>(p => progress?.Report(new DemoProgress(stageName, p.GlobalStep, steps,
                string.Create(CultureInfo.InvariantCulture, $"{stageName}: epoch {p.Epoch + 1}/{options.Epochs} loss {p.Loss:F3} acc {100 * p.Accuracy:F0}%")))),
                cancellation: cancellation);
        }
        // The prompts were trained on the base classes: MMRL reads out by the authors' rule for seen and unseen classes
        // (the other methods have one readout).
        var baseAccuracy = Evaluate(clip, learner, tokenizer, split.BaseNames, split.BaseNames, split.TestBase, $"{stageName} (base)", progress, cancellation);
        var novelAccuracy = Evaluate(clip, learner, tokenizer, split.NovelNames, split.BaseNames, split.TestNovel, $"{stageName} (novel)", progress, cancellation);
        var oodRows = new List<DemoOodRow>();
        if (method.OodScores.Count > 0)
        {
            // ID = the base classes' test images, named by the base classes (the label set the prompts were trained on).
            using var prompted = new PromptedClip(clip, learner, tokenizer, split.BaseNames);
            foreach (var (scoreName, score) in method.OodScores)
            {
                var stage = $"{stageName} OOD ({scoreName})";
                var oodResult = OodEvaluation.Run(prompted, split.TestBase, split.Ood, new OodScoreOptions(score), batchSize: 64,
                    progress: new SyncProgress<OodProgress>(p => progress?.Report(new DemoProgress(stage, p.Done, p.Total, $"{stage}: {p.Set} {p.Done}/{p.Total}"))),
                    cancellation: cancellation);
                oodRows.Add(new DemoOodRow(name, scoreName, 100 * oodResult.Average.Auroc, 100 * oodResult.Average.Fpr95));
            }
        }
        var details = new JsonObject
        {
            ["method"] = name,
            ["preset"] = method.Preset.Name,
            ["prompt_method"] = PromptMethods.Name(learner.Config.Method),
            ["n_ctx"] = learner.Config.TextTokens,
            ["depth"] = Math.Max(learner.Config.TextDepth, learner.Config.VisionDepth),
            ["prompt_example"] = learner.PromptTexts([split.BaseNames[0]])[0],
            ["epochs"] = options?.Epochs,
            ["batch_size"] = options?.BatchSize,
            ["lr"] = options?.LearningRate,
            ["optimizer"] = options?.Optimizer.ToString(),
        };
        return new Scored(new DemoRow(name, 100 * baseAccuracy, 100 * novelAccuracy), oodRows, details);
    }

    static double Evaluate(ClipModel clip, PromptLearner learner, ClipTokenizer tokenizer, IReadOnlyList<string> classNames, IReadOnlyList<string> trainedClasses,
        ImageDataset data, string stage, IProgress<DemoProgress>? progress, CancellationToken cancellation)
    {
        using var prompted = new PromptedClip(clip, learner, tokenizer, classNames) { Readout = MmrlOutputs.ReadoutFor(trainedClasses, classNames) };
        var result = Evaluator.Evaluate(prompted, data, batchSize: 64,
            progress: new SyncProgress<EvaluationProgress>(p => progress?.Report(new DemoProgress(stage, p.Done, p.Total,
                string.Create(CultureInfo.InvariantCulture, $"{stage}: accuracy {100.0 * p.Correct / Math.Max(1, p.Done):F1}%")))),
            cancellation: cancellation);
        return result.Metrics.Accuracy;
    }

    void WriteResults(DemoResult result, JsonArray methods, int trainImages, ImageDataset testBase, ImageDataset testNovel, ImageDataset ood)
    {
        var summary = result.Summary;
        var json = new JsonObject
        {
            ["seeds"] = new JsonArray(_seeds.Select(s => (JsonNode)s).ToArray()),
            ["pretrain_seed"] = _settings.Pretraining.Seed,
            ["model"] = result.ModelFolder,
            ["precision"] = PrecisionSupport.Name(ComputePrecision),
            ["pretrained_now"] = result.PretrainedNow,
            ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 1),
            ["base_classes"] = new JsonArray(_world.BaseClasses.Select(c => (JsonNode)c.Name).ToArray()),
            ["novel_classes"] = new JsonArray(_world.NovelClasses.Select(c => (JsonNode)c.Name).ToArray()),
            ["shots"] = _settings.Shots,
            ["train_images_per_seed"] = trainImages,
            ["test_base_images"] = testBase.Items.Count,
            ["test_novel_images"] = testNovel.Items.Count,
            ["ood_classes"] = new JsonArray(_world.OodClasses.Select(c => (JsonNode)c.Name).ToArray()),
            ["ood_images"] = ood.Items.Count,
            ["results"] = summary.ToJson(),
            ["pattern_holds_on_mean"] = summary.PatternHoldsOnMean,
            ["seeds_breaking_pattern"] = new JsonArray(summary.SeedsBreakingPattern.Select(s => (JsonNode)s).ToArray()),
            ["per_seed"] = new JsonArray(summary.Seeds.Select(s => (JsonNode)new JsonObject { ["seed"] = s.Seed, ["results"] = s.Table.ToJson(), ["ood"] = s.Ood.ToJson() }).ToArray()),
            ["ood"] = summary.OodToJson(),
            ["methods"] = methods,
            ["settings"] = JsonSerializer.SerializeToNode(_settings),
        };
        AtomicFile.WriteText(Path.Combine(_output, "results.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var seedsText = string.Join(", ", _seeds);
        var markdown = string.Create(CultureInfo.InvariantCulture,
            $"# maple demo (seeds {seedsText}; backbone pretrained with seed {_settings.Pretraining.Seed})\n\nBase-to-novel on the demo world: {_world.BaseClasses.Count} base and {_world.NovelClasses.Count} novel classes, " +
            $"{_settings.Shots} shots per base class, {_settings.TestImagesPerClass} test images per class.\n\n") + summary.ToMarkdown() +
            string.Create(CultureInfo.InvariantCulture,
            $"\n## OOD detection\n\nID: the {testBase.Items.Count} test images of the base classes; OOD: {ood.Items.Count} images of shapes seen nowhere else " +
            $"({string.Join(", ", DemoWorld.OodShapes.Select(DemoClass.ShapeWord))}, in every colour). AUROC higher is better, FPR95 lower. Mean ± std over seeds {seedsText}.\n\n") + summary.OodToMarkdown();
        AtomicFile.WriteText(Path.Combine(_output, "results.md"), markdown);
        var rows = summary.Rows;
        Plots.GroupedBars(Path.Combine(_output, "results.png"), $"maple demo, base-to-novel (mean of seeds {seedsText})", ["Base", "Novel", "HM"],
            rows.Select(r => r.Method).ToList(), rows.Select(r => (IReadOnlyList<double>)[r.Base.Mean, r.Novel.Mean, r.HarmonicMean]).ToList(), "accuracy (%)");
        var oodRows = summary.OodRows;
        Plots.GroupedBars(Path.Combine(_output, "ood.png"), $"maple demo, OOD: base classes vs unseen shapes (mean of seeds {seedsText})", ["AUROC", "FPR95"],
            oodRows.Select(r => $"{r.Method} {r.Score}").ToList(), oodRows.Select(r => (IReadOnlyList<double>)[r.Auroc.Mean, r.Fpr95.Mean]).ToList(), "%");
    }
}
