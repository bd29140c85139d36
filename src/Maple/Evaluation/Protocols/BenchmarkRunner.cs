using Maple.Clip;
using Maple.Data;
using Maple.Prompting;
using Maple.Training;

namespace Maple.Evaluation.Protocols;

/// <summary>
/// Runs the paper's protocols cell by cell — (method, dataset, seed, shots) — saving each finished cell,
/// so a benchmark killed halfway resumes where it stopped (a cell's interrupted training resumes too).
/// </summary>
public sealed class BenchmarkRunner
{
    /// <summary>The ten target datasets of cross-dataset transfer.</summary>
    public static readonly IReadOnlyList<string> TransferTargets =
        ["Caltech101", "OxfordPets", "StanfordCars", "OxfordFlowers", "Food101", "FGVCAircraft", "SUN397", "DescribableTextures", "EuroSAT", "UCF101"];

    /// <summary>The ImageNet variants of domain generalisation.</summary>
    public static readonly IReadOnlyList<string> DomainTargets = ["ImageNetV2", "ImageNetSketch", "ImageNetA", "ImageNetR"];

    /// <summary>The eleven datasets of base-to-novel and few-shot.</summary>
    public static readonly IReadOnlyList<string> ElevenDatasets = [Source, .. TransferTargets];

    const string Source = "ImageNet";

    readonly PretrainedClip _clip;
    readonly BenchmarkSettings _settings;
    readonly IBenchmarkObserver? _observer;

    /// <summary>Prepares a benchmark on <paramref name="clip"/>.</summary>
    public BenchmarkRunner(PretrainedClip clip, BenchmarkSettings settings, IBenchmarkObserver? observer = null)
    {
        if (settings.Methods.Count == 0 || settings.Seeds.Count == 0)
            throw new ArgumentException("a benchmark needs at least one method and one seed");
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
        var datasets = Resolve(_settings.Datasets, ElevenDatasets);
        var cells = Cells(protocol, datasets, _settings.Methods, [_settings.Shots]);
        return Run(protocol, cells, cell =>
        {
            var train = FewShot(cell.Dataset, cell.Shots, cell.Seed);
            using var learner = Train(cell, BaseNovelSplit.Subsample(train, Subset.Base));
            var test = BenchmarkDatasets.Open(_settings.DataRoot, cell.Dataset, "test");
            return new Dictionary<string, double>
            {
                ["base"] = Accuracy(learner, BaseNovelSplit.Subsample(test, Subset.Base), "base", cancellation),
                ["novel"] = Accuracy(learner, BaseNovelSplit.Subsample(test, Subset.Novel), "novel", cancellation),
            };
        }, cancellation);
    }

    /// <summary>Few-shot: train on all classes with each K of <paramref name="shots"/>, score the test set.</summary>
    public BenchmarkReport FewShotLearning(IReadOnlyList<int> shots, CancellationToken cancellation = default)
    {
        const string protocol = "few-shot";
        var datasets = Resolve(_settings.Datasets, ElevenDatasets);
        var cells = Cells(protocol, datasets, _settings.Methods, shots);
        return Run(protocol, cells, cell =>
        {
            using var learner = Train(cell, FewShot(cell.Dataset, cell.Shots, cell.Seed));
            var test = BenchmarkDatasets.Open(_settings.DataRoot, cell.Dataset, "test");
            return new Dictionary<string, double> { ["accuracy"] = Accuracy(learner, test, "test", cancellation) };
        }, cancellation);
    }

    /// <summary>Cross-dataset transfer: train on ImageNet (all classes), score ImageNet and the ten other datasets.</summary>
    public BenchmarkReport CrossDataset(CancellationToken cancellation = default) =>
        Transfer("cross-dataset", [Source, .. Resolve(_settings.Datasets, TransferTargets)], cancellation);

    /// <summary>Domain generalisation: the ImageNet-trained prompts scored on ImageNet-V2, -Sketch, -A and -R.</summary>
    public BenchmarkReport DomainGeneralization(CancellationToken cancellation = default) =>
        Transfer("domain-generalization", [Source, .. Resolve(_settings.Datasets, DomainTargets)], cancellation);

    BenchmarkReport Transfer(string protocol, IReadOnlyList<string> datasets, CancellationToken cancellation)
    {
        // Cross-dataset and domain generalisation share one ImageNet training per (method, seed).
        var methods = _settings.Methods.Select(m => m == "maple" ? "maple-transfer" : m).Distinct().ToList();
        var cells = Cells(protocol, datasets.Distinct().ToList(), methods, [_settings.Shots]);
        return Run(protocol, cells, cell =>
        {
            var sourceCell = cell with { Protocol = "imagenet-source", Dataset = Source };
            using var learner = Train(sourceCell, FewShot(Source, cell.Shots, cell.Seed));
            var test = BenchmarkDatasets.Open(_settings.DataRoot, cell.Dataset, "test");
            return new Dictionary<string, double> { ["accuracy"] = Accuracy(learner, test, cell.Dataset, cancellation) };
        }, cancellation);
    }

    List<CellKey> Cells(string protocol, IReadOnlyList<string> datasets, IReadOnlyList<string> methods, IReadOnlyList<int> shots) =>
        (from shot in shots
         from dataset in datasets
         from method in methods
         from seed in _settings.Seeds
         select new CellKey(protocol, method, dataset, seed, shot)).ToList();

    BenchmarkReport Run(string protocol, List<CellKey> cells, Func<CellKey, Dictionary<string, double>> score, CancellationToken cancellation)
    {
        var results = new List<CellResult>();
        for (var i = 0; i < cells.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var cell = cells[i];
            var saved = CellResult.TryLoad(_settings.Output, cell);
            _observer?.CellStarted(cell, i, cells.Count, saved is not null);
            if (saved is null)
            {
                saved = new CellResult(cell, score(cell));
                saved.Save(_settings.Output);
            }
            results.Add(saved);
            _observer?.CellFinished(saved);
        }
        var report = new BenchmarkReport(protocol, results);
        report.Write(_settings.Output);
        BenchmarkPlots.Write(report, _settings.Output);
        return report;
    }

    static IReadOnlyList<string> Resolve(IReadOnlyList<string> requested, IReadOnlyList<string> defaults)
    {
        var names = requested.Count == 0 || requested.Any(n => n.Equals("all", StringComparison.OrdinalIgnoreCase)) ? defaults : requested;
        return names.Select(n => BenchmarkDatasets.Resolve(n).Name).ToList();
    }

    ImageDataset FewShot(string dataset, int shots, int seed)
    {
        var train = BenchmarkDatasets.Open(_settings.DataRoot, dataset, "train");
        var cache = Path.Combine(_settings.Output, "cache", BenchmarkDatasets.Resolve(dataset).Name);
        return FewShotSampler.LoadOrCreate(cache, train, null, shots, seed).Train;
    }

    PromptLearner Train(CellKey cell, ImageDataset train)
    {
        var preset = MethodPreset.Get(cell.Method, cell.Shots);
        var learner = PromptLearners.Create(preset.Prompts, _clip.Model, _clip.Tokenizer, cell.Seed);
        if (preset.Prompts.Method == PromptMethod.ZeroShot)
            return learner;
        try
        {
            var options = preset.Options with { Seed = cell.Seed, Epochs = _settings.Epochs ?? preset.Options.Epochs, LoaderThreads = _settings.LoaderThreads };
            using var prompted = new PromptedClip(_clip.Model, learner, _clip.Tokenizer, train.ClassNames);
            var run = Path.Combine(_settings.Output, cell.RelativeFolder, "run");
            var trainer = new Trainer(prompted, train, options, run, _clip.Source);
            if (!File.Exists(trainer.FinalPromptsPath))
                trainer.Run(resume: true, progress: _observer is null ? null : new Relay<TrainingProgress>(_observer.Training));
            else
            {
                using var finished = PromptCheckpoint.Read(trainer.FinalPromptsPath);
                learner.LoadStateDict(finished.Tensors, trainer.FinalPromptsPath);
            }
            Plots.TrainingCurves(Path.Combine(run, "curves.png"), Path.Combine(run, "train.jsonl"), $"{cell.Method} on {cell.Dataset}, seed {cell.Seed}");
            return learner;
        }
        catch
        {
            learner.Dispose();
            throw;
        }
    }

    double Accuracy(PromptLearner learner, ImageDataset test, string subset, CancellationToken cancellation)
    {
        using var prompted = new PromptedClip(_clip.Model, learner, _clip.Tokenizer, test.ClassNames);
        var progress = _observer is null ? null : new Relay<EvaluationProgress>(p => _observer.Evaluating(subset, p));
        var result = Evaluator.Evaluate(prompted, test, _settings.EvalBatchSize, _settings.LoaderThreads, progress, cancellation);
        return 100 * result.Metrics.Accuracy;
    }

    /// <summary>Forwards reports synchronously (Progress&lt;T&gt; would hop to the thread pool).</summary>
    sealed class Relay<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
