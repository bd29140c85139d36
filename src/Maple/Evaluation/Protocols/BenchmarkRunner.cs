using System.Globalization;
using Maple.Clip;
using Maple.Data;
using Maple.Evaluation.Ood;
using Maple.Prompting;
using Maple.Training;

namespace Maple.Evaluation.Protocols;

/// <summary>
/// Runs the paper's protocols cell by cell — (method, dataset, seed, shots) — saving each finished cell, so a
/// benchmark killed halfway resumes where it stopped: finished cells are read back, and an interrupted training
/// resumes from its last epoch checkpoint.
/// </summary>
/// <remarks>
/// <para>Under the output folder:</para>
/// <list type="bullet">
/// <item><c>&lt;protocol&gt;/&lt;method&gt;/&lt;dataset&gt;/shots&lt;K&gt;-seed&lt;S&gt;/result.json</c>: a finished cell, with the
/// recipe that produced it (a rerun with another recipe is refused rather than mixed in).</item>
/// <item><c>training/&lt;method&gt;/&lt;dataset&gt;/&lt;all|base&gt;/shots&lt;K&gt;-seed&lt;S&gt;/</c>: a training run (prompts,
/// epoch checkpoints, logs, <c>curves.png</c>), keyed by what it trains on and not by protocol, so protocols that
/// train the same thing share it: cross-dataset transfer and domain generalisation share the ImageNet run, and
/// few-shot and OOD the all-class run of a dataset.</item>
/// <item><c>transfer-source/...</c>: the ImageNet column of both transfer protocols, scored once.</item>
/// <item><c>cache/&lt;dataset&gt;/split_fewshot/</c>: the K-shot samples; <c>&lt;protocol&gt;.md|csv|json</c> and
/// <c>plots/&lt;protocol&gt;/</c>: the tables and figures.</item>
/// </list>
/// <para>
/// Zero-shot CLIP is not trained. Where the scored data does not depend on the seed or the shots, its cells of a
/// dataset are all equal, so it is scored once and the other cells copy that result, saying so in their note.
/// </para>
/// </remarks>
public sealed class BenchmarkRunner
{
    /// <summary>The ten target datasets of cross-dataset transfer.</summary>
    public static readonly IReadOnlyList<string> TransferTargets =
        ["Caltech101", "OxfordPets", "StanfordCars", "OxfordFlowers", "Food101", "FGVCAircraft", "SUN397", "DescribableTextures", "EuroSAT", "UCF101"];

    /// <summary>The ImageNet variants of domain generalisation.</summary>
    public static readonly IReadOnlyList<string> DomainTargets = ["ImageNetV2", "ImageNetSketch", "ImageNetA", "ImageNetR"];

    /// <summary>The eleven datasets of base-to-novel and few-shot.</summary>
    public static readonly IReadOnlyList<string> ElevenDatasets = [Source, .. TransferTargets];

    /// <summary>The folder of the transfer protocols' shared source cells.</summary>
    public const string TransferSourceProtocol = "transfer-source";

    const string Source = "ImageNet";
    const string EvaluationPrefix = "eval:";

    readonly PretrainedClip _clip;
    readonly BenchmarkSettings _settings;
    readonly IBenchmarkObserver? _observer;
    readonly Dictionary<(string Data, int Shots, int Seed), ImageDataset> _samples = [];

    /// <summary>Prepares a benchmark on <paramref name="clip"/>.</summary>
    public BenchmarkRunner(PretrainedClip clip, BenchmarkSettings settings, IBenchmarkObserver? observer = null)
    {
        if (settings.Methods.Count == 0 || settings.Seeds.Count == 0)
            throw new UserInputException("a benchmark needs at least one method and one seed");
        if (settings.Shots < 1 || settings.EvalBatchSize < 1 || settings.LoaderThreads < 1)
            throw new UserInputException("shots, the evaluation batch size and the loader threads must be at least 1");
        foreach (var method in settings.Methods)
            MethodPreset.Get(method);
        _clip = clip;
        _settings = settings;
        _observer = observer;
    }

    /// <summary>Base-to-novel: train on the base half of the classes, score base and novel test images.</summary>
    public BenchmarkReport BaseToNovel(CancellationToken cancellation = default)
    {
        const string protocol = "base2novel";
        var methods = Methods(_settings.Methods, TrainingProtocol.BaseToNovel);
        var datasets = Resolve(_settings.Datasets, ElevenDatasets);
        var cells = Cells(protocol, datasets, methods, [_settings.Shots]);
        var results = RunCells(cells, cell =>
        {
            using var learner = Learner(cell.Method, cell.Dataset, TrainingProtocol.BaseToNovel, cell.Shots, cell.Seed, () => Open(cell.Dataset, "train"), cancellation);
            var test = Open(cell.Dataset, "test");
            return new Dictionary<string, double>
            {
                ["base"] = Accuracy(learner, cell.Dataset, BaseNovelSplit.Subsample(test, Subset.Base), "base", MmrlReadout.Fused, cancellation),
                ["novel"] = Accuracy(learner, cell.Dataset, BaseNovelSplit.Subsample(test, Subset.Novel), "novel", MmrlReadout.ClassToken, cancellation),
            };
        }, shareZeroShot: true, cancellation);
        return Finish(new BenchmarkReport(protocol, results, notes: Notes(TrainingProtocol.BaseToNovel, methods, datasets)));
    }

    /// <summary>Few-shot: train on all classes with each K of <paramref name="shots"/>, score the test set.</summary>
    public BenchmarkReport FewShotLearning(IReadOnlyList<int> shots, CancellationToken cancellation = default)
    {
        const string protocol = "few-shot";
        if (shots.Count == 0 || shots.Any(k => k < 1))
            throw new UserInputException("few-shot needs shot counts of at least 1");
        var methods = Methods(_settings.Methods, TrainingProtocol.FewShot);
        var datasets = Resolve(_settings.Datasets, ElevenDatasets);
        var cells = Cells(protocol, datasets, methods, shots.Distinct().Order().ToList());
        var results = RunCells(cells, cell =>
        {
            using var learner = Learner(cell.Method, cell.Dataset, TrainingProtocol.FewShot, cell.Shots, cell.Seed, () => Open(cell.Dataset, "train"), cancellation);
            return new Dictionary<string, double> { ["accuracy"] = Accuracy(learner, cell.Dataset, Open(cell.Dataset, "test"), "test", MmrlReadout.Fused, cancellation) };
        }, shareZeroShot: true, cancellation);
        return Finish(new BenchmarkReport(protocol, results, notes: Notes(TrainingProtocol.FewShot, methods, datasets)));
    }

    /// <summary>Cross-dataset transfer: train on ImageNet (all classes), score ImageNet and the ten other datasets.</summary>
    public BenchmarkReport CrossDataset(CancellationToken cancellation = default) =>
        Transfer("cross-dataset", Resolve(_settings.Datasets, TransferTargets), cancellation);

    /// <summary>Domain generalisation: the ImageNet-trained prompts scored on ImageNet-V2, -Sketch, -A and -R (each over its own classes).</summary>
    public BenchmarkReport DomainGeneralization(CancellationToken cancellation = default) =>
        Transfer("domain-generalization", Resolve(_settings.Datasets, DomainTargets), cancellation);

    /// <summary>
    /// OOD detection: per method, seed and K, the prompts trained on the ID set's K-shot sample (all classes; none for
    /// zero-shot CLIP) score the ID test images and every OOD set; the cell keeps AUROC, AUPR and FPR95 (in %) per OOD
    /// set and their average, and writes its ROC curves and score histograms beside its result.
    /// </summary>
    public OodBenchmarkReport Ood(OodBenchmarkSpec spec, CancellationToken cancellation = default)
    {
        spec.Score.Validate();
        if (spec.Ood.Count == 0)
            throw new UserInputException("an OOD benchmark needs at least one OOD set");
        if (spec.Shots.Count == 0 || spec.Shots.Any(k => k < 1))
            throw new UserInputException("an OOD benchmark needs shot counts of at least 1");
        var methods = Methods(_settings.Methods, TrainingProtocol.FewShot);
        var id = OpenId(spec.Id);
        var oodSets = OpenOodSets(spec.Ood);
        var scoreName = OodScores.Name(spec.Score.Score);
        var protocol = $"ood-{scoreName}";
        var evaluation = new Dictionary<string, string>
        {
            ["score"] = string.Create(CultureInfo.InvariantCulture, $"{scoreName}, T {spec.Score.Temperature}, lambda {spec.Score.Lambda}"),
            ["ood"] = string.Join("; ", oodSets.Select(s => $"{s.Name} ({s.Data.Items.Count} images)")),
            ["id"] = id.Description,
        };
        var cells = (from shot in spec.Shots.Distinct().Order()
                     from method in methods
                     from seed in _settings.Seeds
                     select new CellKey(protocol, method, id.Name, seed, shot)).ToList();
        var results = RunCells(cells, cell =>
        {
            using var learner = Learner(cell.Method, id.Name, TrainingProtocol.FewShot, cell.Shots, cell.Seed, id.OpenTrain, cancellation);
            var idTest = id.Test(cell.Shots, cell.Seed);
            var progress = _observer is null ? null : new SyncProgress<OodProgress>(_observer.Scoring);
            using var prompted = Prompted(learner, id.Name, idTest.ClassNames);
            var result = OodEvaluation.Run(prompted, idTest, oodSets, spec.Score, EvaluationBatch(learner), _settings.LoaderThreads, progress, cancellation);
            OodReport.Write(Path.Combine(_settings.Output, cell.RelativeFolder, "ood.json"), result, new Dictionary<string, string>
            {
                ["model"] = _clip.Source,
                ["method"] = cell.Method,
                ["seed"] = cell.Seed.ToString(CultureInfo.InvariantCulture),
                ["shots"] = cell.Shots.ToString(CultureInfo.InvariantCulture),
            });
            var scores = new Dictionary<string, double>();
            foreach (var set in result.Sets)
                AddOodScores(scores, set.Name, set.Metrics);
            AddOodScores(scores, OodBenchmarkReport.Average, result.Average);
            return scores;
        }, shareZeroShot: id.FixedTest, cancellation, evaluation);

        var notes = Notes(TrainingProtocol.FewShot, methods, [id.Name]).Append($"score {scoreName} (T = {spec.Score.Temperature.ToString(CultureInfo.InvariantCulture)}"
            + (spec.Score.Score == OodScore.GlMcm ? $", λ = {spec.Score.Lambda.ToString(CultureInfo.InvariantCulture)})" : ")")
            + $"; ID test images: {id.Description}; ROC curves and score histograms of each scored cell: {protocol}/<method>/{id.Name}/shots<K>-seed<S>/ood.roc.png (a copied zero-shot cell names the cell it copies)").ToList();
        var report = new OodBenchmarkReport(protocol, id.Name, oodSets.Select(s => s.Name).ToList(), results, notes);
        report.Write(_settings.Output);
        BenchmarkPlots.Write(report, _settings.Output);
        return report;
    }

    BenchmarkReport Transfer(string protocol, IReadOnlyList<string> targets, CancellationToken cancellation)
    {
        var methods = Methods(_settings.Methods, TrainingProtocol.CrossDataset);
        var shots = new[] { _settings.Shots };
        // The source column is the same cell for both transfer protocols: it is scored once.
        var cells = Cells(TransferSourceProtocol, [Source], methods, shots)
            .Concat(Cells(protocol, targets.Where(t => t != Source).Distinct().ToList(), methods, shots)).ToList();
        var results = RunCells(cells, cell =>
        {
            using var learner = Learner(cell.Method, Source, TrainingProtocol.CrossDataset, cell.Shots, cell.Seed, () => Open(Source, "train"), cancellation);
            // MMRL's authors score the source with fused logits and every target with the class token's.
            var readout = cell.Dataset == Source ? MmrlReadout.Fused : MmrlReadout.ClassToken;
            return new Dictionary<string, double> { ["accuracy"] = Accuracy(learner, cell.Dataset, Open(cell.Dataset, "test"), cell.Dataset, readout, cancellation) };
        }, shareZeroShot: true, cancellation);
        return Finish(new BenchmarkReport(protocol, results, Source, Notes(TrainingProtocol.CrossDataset, methods, [Source])));
    }

    BenchmarkReport Finish(BenchmarkReport report)
    {
        report.Write(_settings.Output);
        BenchmarkPlots.Write(report, _settings.Output);
        return report;
    }

    List<CellKey> Cells(string protocol, IReadOnlyList<string> datasets, IReadOnlyList<string> methods, IReadOnlyList<int> shots) =>
        (from shot in shots
         from dataset in datasets
         from method in methods
         from seed in _settings.Seeds
         select new CellKey(protocol, method, dataset, seed, shot)).ToList();

    List<CellResult> RunCells(List<CellKey> cells, Func<CellKey, Dictionary<string, double>> score, bool shareZeroShot, CancellationToken cancellation,
        IReadOnlyDictionary<string, string>? evaluation = null)
    {
        var results = new List<CellResult>();
        for (var i = 0; i < cells.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var cell = cells[i];
            var recipe = Recipe(cell, evaluation);
            var saved = Reusable(CellResult.TryLoad(_settings.Output, cell), recipe);
            _observer?.CellStarted(cell, i, cells.Count, saved is not null);
            if (saved is null)
            {
                var twin = shareZeroShot && IsZeroShot(cell.Method)
                    ? results.FirstOrDefault(r => r.Key.Method == cell.Method && r.Key.Protocol == cell.Protocol && r.Key.Dataset == cell.Dataset)
                    : null;
                saved = twin is not null
                    ? new CellResult(cell, twin.Scores)
                    {
                        Recipe = recipe,
                        Note = $"copied from {twin.Key.RelativeFolder.Replace('\\', '/')}: zero-shot CLIP depends on neither the seed nor the shots here",
                    }
                    : new CellResult(cell, score(cell)) { Recipe = recipe };
                saved.Save(_settings.Output);
            }
            results.Add(saved);
            _observer?.CellFinished(saved);
        }
        return results;
    }

    /// <summary>
    /// A saved cell when it was computed the way it would be now; null when only its evaluation settings changed
    /// (it is redone, its training reused); an error when its training or backbone differed, which would mix runs.
    /// </summary>
    CellResult? Reusable(CellResult? saved, IReadOnlyDictionary<string, string> recipe)
    {
        if (saved is null || saved.Recipe.Count == 0)
            return saved;
        var keys = recipe.Keys.Union(saved.Recipe.Keys).ToList();
        foreach (var key in keys.Where(k => !k.StartsWith(EvaluationPrefix, StringComparison.Ordinal)))
        {
            saved.Recipe.TryGetValue(key, out var was);
            recipe.TryGetValue(key, out var now);
            if (was != now)
            {
                throw new InvalidDataException(
                    $"{CellResult.PathFor(_settings.Output, saved.Key)}: this cell was computed with {key} {was ?? "(none)"}, the benchmark now asks for {now ?? "(none)"}; " +
                    "use another output folder, or delete the cell and its training run to redo it");
            }
        }
        return keys.All(k => saved.Recipe.GetValueOrDefault(k) == recipe.GetValueOrDefault(k)) ? saved : null;
    }

    Dictionary<string, string> Recipe(CellKey cell, IReadOnlyDictionary<string, string>? evaluation)
    {
        var training = Training(cell.Protocol);
        var preset = _settings.Preset(cell.Method, cell.Shots, training, training == TrainingProtocol.CrossDataset ? Source : cell.Dataset);
        var recipe = new Dictionary<string, string>
        {
            ["model"] = File.Exists(_clip.Source) || Directory.Exists(_clip.Source) ? Path.GetFullPath(_clip.Source) : _clip.Source,
            ["backbone_config_hash"] = _clip.Model.Config.Hash(),
            ["precision"] = PrecisionSupport.Name(_clip.Model.Precision),
        };
        if (preset.Prompts.Method != PromptMethod.ZeroShot)
        {
            var p = preset.Prompts;
            var o = preset.Options;
            recipe["prompts"] = $"{p.TextTokens} text tokens to depth {p.TextDepth}, {p.VisionTokens} vision tokens to depth {p.VisionDepth}, init '{p.CtxInit}'";
            recipe["training"] = string.Create(CultureInfo.InvariantCulture, $"{o.Epochs} epochs, batch {o.BatchSize}, lr {o.LearningRate}")
                + (o.SelfRegularization is { } w ? string.Create(CultureInfo.InvariantCulture, $", self-regularisation text {w.Text} image {w.Image} logits {w.Logits}") : "")
                + (o.PromptAggregation is { } gpa ? $", GPA {gpa}" : "");
            if (p.Method == PromptMethod.Mmrl)
                recipe["training"] += string.Create(CultureInfo.InvariantCulture, $", AdamW, lambda {o.MmrlConsistencyWeight}, rep_dim {p.RepresentationDim}");
        }
        else
        {
            // Rescored, never refused, when the templates change: nothing was trained.
            recipe[EvaluationPrefix + "templates"] = string.Join(" | ", ZeroShotTemplates(cell.Dataset));
        }
        foreach (var (key, value) in evaluation ?? new Dictionary<string, string>())
            recipe[EvaluationPrefix + key] = value;
        return recipe;
    }

    /// <summary>What a protocol's cells train: cross-dataset transfer, domain generalisation and their shared source train as cross-dataset; OOD detection as few-shot.</summary>
    static TrainingProtocol Training(string protocol) => protocol switch
    {
        "base2novel" => TrainingProtocol.BaseToNovel,
        TransferSourceProtocol or "cross-dataset" or "domain-generalization" => TrainingProtocol.CrossDataset,
        _ => TrainingProtocol.FewShot,
    };

    IReadOnlyList<string> Notes(TrainingProtocol training, IReadOnlyList<string> methods, IReadOnlyList<string> trainedOn)
    {
        var notes = new List<string> { $"model {_clip.Source}, precision {_clip.Model.PrecisionChoice}" };
        // The authors' config for the protocol, said where it is not the preset of the method's name.
        foreach (var method in methods)
        {
            var variants = trainedOn.GroupBy(d => MethodPreset.Variant(method, training, d)).Where(g => g.Key != method).ToList();
            foreach (var variant in variants)
                notes.Add(variant.Count() == trainedOn.Count
                    ? $"{method} trains as {variant.Key}, its authors' config for this protocol"
                    : $"{method} trains as {variant.Key} on {string.Join(", ", variant)}, its authors' config for this protocol there");
        }
        if (_settings.ZeroShotTemplates is null && _settings.Methods.Any(IsZeroShot))
            notes.Add($"zero-shot CLIP words each benchmark's classes with its own template, as the papers (CoOp's zsclip.py), e.g. EuroSAT \"{PromptTemplates.ForBenchmark("EuroSAT")}\"");
        notes.AddRange(_settings.DescribeOverrides());
        return notes;
    }

    /// <summary>
    /// The methods by their presets' names, each checked to fit the backbone as <paramref name="training"/> trains it (a
    /// depth beyond its layers is named as <c>Depth</c>).
    /// </summary>
    IReadOnlyList<string> Methods(IReadOnlyList<string> methods, TrainingProtocol training)
    {
        var config = _clip.Model.Config;
        var names = methods.Select(m => MethodPreset.Get(m).Name).Distinct().ToList();
        foreach (var method in names)
            _settings.Preset(method, _settings.Shots, training).CheckFits(config);
        return names;
    }

    static bool IsZeroShot(string method) => MethodPreset.Get(method).Prompts.Method == PromptMethod.ZeroShot;

    static IReadOnlyList<string> Resolve(IReadOnlyList<string> requested, IReadOnlyList<string> defaults)
    {
        var names = requested.Count == 0 || requested.Any(n => n.Equals("all", StringComparison.OrdinalIgnoreCase)) ? defaults : requested;
        return names.Select(n => BenchmarkDatasets.Resolve(n).Name).Distinct().ToList();
    }

    ImageDataset Open(string dataset, string split)
    {
        if (string.IsNullOrEmpty(_settings.DataRoot))
            throw new InvalidSettingException(nameof(BenchmarkSettings.DataRoot), $"must name the folder that holds the benchmarks ({dataset} is a benchmark name)", null);
        return BenchmarkDatasets.Open(_settings.DataRoot, dataset, split);
    }

    /// <summary>The K-shot training sample of <paramref name="data"/> for a seed, drawn once and kept under the output folder.</summary>
    ImageDataset FewShot(string data, Func<ImageDataset> openTrain, int shots, int seed)
    {
        if (_samples.TryGetValue((data, shots, seed), out var sample))
            return sample;
        var cache = Path.Combine(_settings.Output, "cache", data);
        sample = FewShotSampler.LoadOrCreate(cache, openTrain(), null, shots, seed).Train;
        _samples[(data, shots, seed)] = sample;
        return sample;
    }

    /// <summary>
    /// The learner of a method for a cell: zero-shot CLIP as it is, otherwise trained with the preset the protocol
    /// trains it with on <paramref name="data"/> (or resumed, or read back when finished). The training run is kept under
    /// that preset's name, so protocols that train the same preset on the same classes share it.
    /// </summary>
    PromptLearner Learner(string method, string data, TrainingProtocol training, int shots, int seed, Func<ImageDataset> openTrain, CancellationToken cancellation)
    {
        var preset = _settings.Preset(method, shots, training, data);
        var subset = TrainingProtocols.TrainedClasses(training);
        var learner = PromptLearners.Create(preset.Prompts, _clip.Model, _clip.Tokenizer, seed);
        if (preset.Prompts.Method == PromptMethod.ZeroShot)
            return learner;
        try
        {
            var train = BaseNovelSplit.Subsample(FewShot(data, openTrain, shots, seed), subset);
            var options = preset.Options with { Seed = seed, LoaderThreads = _settings.LoaderThreads };
            var folder = TrainingFolder(_settings.Output, preset.Name, data, subset, shots, seed);
            using var prompted = new PromptedClip(_clip.Model, learner, _clip.Tokenizer, train.ClassNames);
            var trainer = new Trainer(prompted, train, options, folder, _clip.Source);
            var curves = Path.Combine(folder, "curves.png");
            if (!trainer.TryLoadFinished())
            {
                trainer.Run(resume: true, _observer is null ? null : new SyncProgress<TrainingProgress>(_observer.Training), cancellation);
                File.Delete(curves);
            }
            if (!File.Exists(curves))
                Plots.TrainingCurves(curves, Path.Combine(folder, "train.jsonl"), $"{preset.Name} on {data} ({Describe(subset)}), {shots} shots, seed {seed}");
            return learner;
        }
        catch
        {
            learner.Dispose();
            throw;
        }
    }

    /// <summary>The training run of the preset <paramref name="preset"/> on the <paramref name="subset"/> classes of a K-shot sample of <paramref name="data"/>.</summary>
    public static string TrainingFolder(string output, string preset, string data, Subset subset, int shots, int seed) =>
        Path.Combine(output, "training", preset, data, subset.ToString().ToLowerInvariant(), $"shots{shots}-seed{seed}");

    static string Describe(Subset subset) => subset == Subset.All ? "all classes" : $"{subset.ToString().ToLowerInvariant()} classes";

    double Accuracy(PromptLearner learner, string dataset, ImageDataset test, string subset, MmrlReadout readout, CancellationToken cancellation)
    {
        using var prompted = Prompted(learner, dataset, test.ClassNames, readout);
        var progress = _observer is null ? null : new SyncProgress<EvaluationProgress>(p => _observer.Evaluating(subset, p));
        var result = Evaluator.Evaluate(prompted, test, EvaluationBatch(learner), _settings.LoaderThreads, progress, cancellation);
        return 100 * result.Metrics.Accuracy;
    }

    /// <summary>
    /// The classifier of a learner over the classes of <paramref name="dataset"/>: zero-shot CLIP words them with
    /// <see cref="ZeroShotTemplates"/>; MMRL with the scored benchmark's own template (as its authors test each dataset),
    /// reading out <paramref name="readout"/>.
    /// </summary>
    PromptedClip Prompted(PromptLearner learner, string dataset, IReadOnlyList<string> classNames, MmrlReadout readout = MmrlReadout.Fused)
    {
        var templates = learner.Config.Method switch
        {
            PromptMethod.ZeroShot => ZeroShotTemplates(dataset),
            PromptMethod.Mmrl when BenchmarkDatasets.IsKnown(dataset) => [PromptTemplates.ForBenchmark(dataset)],
            _ => null,
        };
        return new(_clip.Model, learner, _clip.Tokenizer, classNames, templates) { Readout = readout };
    }

    /// <summary>
    /// The templates zero-shot CLIP scores <paramref name="dataset"/> with: the settings' when given, else a benchmark's
    /// own (CoOp's <c>CUSTOM_TEMPLATES</c>, which the papers' zero-shot numbers use), else "a photo of a {}.".
    /// </summary>
    IReadOnlyList<string> ZeroShotTemplates(string dataset) =>
        _settings.ZeroShotTemplates ?? [BenchmarkDatasets.Names.Contains(dataset, StringComparer.Ordinal) ? PromptTemplates.ForBenchmark(dataset) : PromptTemplates.Default];

    // An image-conditioned learner (CoCoOp) runs the text encoder once per image, and every image's activations stay
    // alive until its batch ends: batching gains nothing and multiplies the memory, so it is scored one image at a time.
    int EvaluationBatch(PromptLearner learner) => learner.ConditionsOnImage ? 1 : _settings.EvalBatchSize;

    static void AddOodScores(Dictionary<string, double> scores, string set, OodMetrics metrics)
    {
        scores[OodBenchmarkReport.ScoreName(set, "fpr95")] = 100 * metrics.Fpr95;
        scores[OodBenchmarkReport.ScoreName(set, "auroc")] = 100 * metrics.Auroc;
        scores[OodBenchmarkReport.ScoreName(set, "aupr")] = 100 * metrics.Aupr;
    }

    /// <summary>The ID data of an OOD benchmark: how to open its training images and its test images for (K, seed).</summary>
    sealed record IdData(string Name, string Description, Func<ImageDataset> OpenTrain, Func<int, int, ImageDataset> Test, bool FixedTest);

    IdData OpenId(string spec)
    {
        if (IsBenchmark(spec))
        {
            var name = BenchmarkDatasets.Resolve(spec).Name;
            var test = new Lazy<ImageDataset>(() => Open(name, "test"));
            return new IdData(name, $"the {name} test split", () => Open(name, "train"), (_, _) => test.Value, FixedTest: true);
        }
        if (File.Exists(spec))
        {
            var test = new Lazy<ImageDataset>(() => DatasetSource.Open(spec, "test"));
            return new IdData(OodData.DisplayName(spec), $"the test split of {spec}", () => DatasetSource.Open(spec, "train"), (_, _) => test.Value, FixedTest: true);
        }
        if (Directory.Exists(spec))
        {
            // One folder to train and score: the ID test images are those not drawn for training, so none is scored
            // after being trained on; every method of a (K, seed) is scored on the same images.
            var name = OodData.DisplayName(spec);
            var all = new Lazy<ImageDataset>(() => DatasetSource.Open(spec));
            return new IdData(name, $"the images of {spec} not drawn for training", () => all.Value, (shots, seed) =>
            {
                var drawn = FewShot(name, () => all.Value, shots, seed).Items.Select(i => i.Path).ToHashSet(StringComparer.Ordinal);
                var rest = all.Value.Items.Where(i => !drawn.Contains(i.Path)).ToList();
                if (rest.Count == 0)
                    throw new InvalidDataException($"{spec}: {shots} shots per class leave no images to score as ID; give fewer shots or more images");
                return all.Value with { Source = $"{all.Value.Source}, the images not drawn for {shots} shots (seed {seed})", Items = rest };
            }, FixedTest: false);
        }
        throw new InvalidSettingException(nameof(OodBenchmarkSpec.Id), NotData, spec);
    }

    const string NotData = "must be a benchmark name (with a data root), an image folder or a split file";

    List<NamedDataset> OpenOodSets(IReadOnlyList<string> specs)
    {
        var sets = new List<NamedDataset>();
        foreach (var spec in specs)
        {
            NamedDataset set;
            if (IsBenchmark(spec))
            {
                var name = BenchmarkDatasets.Resolve(spec).Name;
                set = new NamedDataset(name, Open(name, "test"));
            }
            else if (File.Exists(spec) || Directory.Exists(spec))
            {
                set = new NamedDataset(OodData.DisplayName(spec), OodData.Open(spec));
            }
            else
            {
                throw new InvalidSettingException(nameof(OodBenchmarkSpec.Ood), NotData, spec);
            }
            var unique = set.Name;
            for (var n = 2; sets.Any(s => s.Name.Equals(unique, StringComparison.OrdinalIgnoreCase)); n++)
                unique = $"{set.Name}-{n}";
            sets.Add(set with { Name = unique });
        }
        return sets;
    }

    // A benchmark name is taken as one when there is a data root to find it in; "./name" forces a path.
    bool IsBenchmark(string spec) => !string.IsNullOrEmpty(_settings.DataRoot) && BenchmarkDatasets.IsKnown(spec);
}
