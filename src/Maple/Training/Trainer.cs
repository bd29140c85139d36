using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maple.Data;
using Maple.Imaging;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Training;

/// <summary>
/// Trains a prompt learner on labelled images: SGD on the prompts only (CLIP stays frozen), the
/// learning rate stepped per epoch, a checkpoint written atomically after every epoch, a JSON line per
/// step in <c>train.jsonl</c> and a readable <c>train.log</c>. A killed run resumes from its last
/// checkpoint to the same final parameters as an uninterrupted one. The loss is cross-entropy, with LoCoOp's or
/// PromptSRC's terms when the options turn them on (<see cref="LoCoOpRegularizer"/>, <see cref="SelfRegularizer"/>),
/// and the final prompts are the last epoch's or, with <see cref="TrainingOptions.PromptAggregation"/>, their
/// Gaussian-weighted sum over the epochs (<see cref="PromptAggregate"/>).
/// </summary>
public sealed class Trainer
{
    readonly PromptedClip _model;
    readonly ImageDataset _data;
    readonly TrainingOptions _options;
    readonly string _output;
    readonly IReadOnlyDictionary<string, string> _description;
    readonly System.Collections.Concurrent.ConcurrentQueue<ImageDecodeException> _skipped = new();
    readonly LoCoOpRegularizer? _locoop;
    readonly bool _mmrl;

    /// <summary>Prepares a run that writes into <paramref name="outputFolder"/>.</summary>
    /// <param name="model">The backbone, the learner to train and the training classes.</param>
    /// <param name="data">The training images; labels index <paramref name="model"/>'s class names.</param>
    /// <param name="options">Optimisation settings.</param>
    /// <param name="outputFolder">Where checkpoints, logs and the final prompts go.</param>
    /// <param name="backbone">The backbone's id or path, recorded in checkpoints.</param>
    public Trainer(PromptedClip model, ImageDataset data, TrainingOptions options, string outputFolder, string backbone)
    {
        options.Validate();
        if (data.Items.Count < options.BatchSize)
            throw new UserInputException($"{data.Source}: {data.Items.Count} images, fewer than one batch of {options.BatchSize}; use a smaller batch size or more images");
        if (data.Items.Any(i => i.Label < 0 || i.Label >= model.ClassNames.Count))
            throw new UserInputException($"{data.Source}: labels must index the {model.ClassNames.Count} class names (0 to {model.ClassNames.Count - 1})");
        _model = model;
        _data = data;
        _options = options;
        _locoop = LoCoOpRegularizer.For(options, model.ClassNames.Count);
        _mmrl = model.Learner is MmrlLearner;
        if (_mmrl && _locoop is not null)
            throw new InvalidSettingException(nameof(TrainingOptions.LoCoOpLambda), "must be 0 for MMRL, whose loss is its own", options.LoCoOpLambda);
        if (options.SelfRegularization is not null)
            SelfRegularizer.CheckLearner(model.Learner);
        _output = outputFolder;
        _description = Describe(model, data, options, backbone);
    }

    /// <summary>The file name of a run's final prompts, in its output folder.</summary>
    public const string FinalPromptsFileName = "prompt.safetensors";

    /// <summary>The final prompts' path.</summary>
    public string FinalPromptsPath => Path.Combine(_output, FinalPromptsFileName);

    /// <summary>Steps per epoch (the last partial batch is dropped).</summary>
    public int StepsPerEpoch => _data.Items.Count / _options.BatchSize;

    /// <summary>Images left out of the last <see cref="Run"/> because they could not be decoded (each named in the log).</summary>
    public int SkippedImages => _skipped.Count;

    /// <summary>
    /// When this run already finished (its final prompts exist), loads them into the learner and returns true;
    /// false when there are no final prompts yet. Final prompts written by a different run (another method,
    /// prompt shape, class list, backbone or recipe) are an error rather than silently reused.
    /// </summary>
    public bool TryLoadFinished()
    {
        if (!File.Exists(FinalPromptsPath))
            return false;
        using var finished = PromptCheckpoint.Read(FinalPromptsPath);
        CheckSameRun(finished.Metadata, FinalPromptsPath);
        _model.Learner.LoadStateDict(finished.Tensors, FinalPromptsPath);
        return true;
    }

    /// <summary>
    /// Runs (or, with <paramref name="resume"/>, continues) the training; returns the final prompts' path.
    /// The output folder is locked for the run (<see cref="RunLock"/>). A resumed run must be the same run:
    /// method, prompts, classes, backbone, precision, data and every hyper-parameter are compared with the
    /// checkpoint's. Checkpoints beyond the planned epochs are ignored, and temp files that killed writers
    /// left behind are deleted; both are noted in the log.
    /// </summary>
    /// <exception cref="RunFolderInUseException">Another run holds the output folder.</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite; the last good checkpoint is kept.</exception>
    public string Run(bool resume = false, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        using var runLock = RunLock.Acquire(_output);
        _skipped.Clear();
        var learner = _model.Learner;
        using var optimizer = CreateOptimizer(learner, _options);
        using var mmrl = _mmrl ? new MmrlObjective(_model, _options.MmrlConsistencyWeight) : null;
        using var aggregate = _options.PromptAggregation is { } gpa ? new PromptAggregate(gpa, _options.Epochs) : null;
        var notes = new List<string>();
        if (runLock.TakenOver is { } stale)
            notes.Add($"took over the lock of a run that is no longer running ({stale})");
        notes.AddRange(AtomicFile.DeleteStaleTemps(_output).Concat(AtomicFile.DeleteStaleTemps(TrainingCheckpoint.FolderOf(_output)))
            .Select(path => $"deleted {path}, left by a write that was interrupted"));

        var firstEpoch = 0;
        string? resumedFrom = null;
        var checkpoints = TrainingCheckpoint.All(_output);
        if (checkpoints.Count > 0 && !resume)
            throw new RunExistsException(_output, checkpoints[0].Path);
        notes.AddRange(checkpoints.Where(c => c.EpochsDone > _options.Epochs).Select(c => $"ignored {c.Path}: beyond the {_options.Epochs} planned epochs"));
        if (resume && FindResumePoint() is var (path, epochsDone))
        {
            CheckSameRun(TrainingCheckpoint.ReadMetadata(path), path, notes);
            TrainingCheckpoint.Restore(path, learner, optimizer, aggregate);
            (firstEpoch, resumedFrom) = (epochsDone, path);
        }

        using var log = new TrainingLog(_output, firstEpoch);
        foreach (var note in notes)
            log.Line(note);
        if (resumedFrom is not null)
        {
            log.Line($"resumed from {resumedFrom} after epoch {firstEpoch}");
        }
        else
        {
            log.Line($"training {_description["method"]} on {_data.Source}: {_data.Items.Count} images, {_model.ClassNames.Count} classes");
            log.Line($"settings: {PromptSettings(_description)}, training {_description["training"]}");
            log.Line($"precision: {_model.Clip.PrecisionChoice}");
        }
        using var regularizer = _options.SelfRegularization is { } weights && firstEpoch < _options.Epochs
            ? StartSelfRegularization(weights, log, cancellation)
            : null;

        var schedule = _options.LearningRateSchedule;
        var totalSteps = StepsPerEpoch * _options.Epochs;
        var clock = Stopwatch.StartNew();
        var stepsThisRun = 0;
        for (var epoch = firstEpoch; epoch < _options.Epochs; epoch++)
        {
            var lr = schedule.At(epoch);
            var (lossSum, correct, seen) = (0.0, 0L, 0L);
            using var loader = CreateLoader(epoch);
            var skippedBefore = _skipped.Count;
            for (var step = 0; loader.Next() is { } batch; step++)
            {
                using var images = batch.Images;
                using var labels = batch.Labels.to(_model.Clip.Device, disposeAfter: true);
                cancellation.ThrowIfCancellationRequested();
                var stepClock = Stopwatch.StartNew();
                double loss, accuracy;
                using (var scope = NewDisposeScope())
                {
                    optimizer.ZeroGrad();
                    var (logits, lossTensor) = Forward(images, labels, mmrl, regularizer);
                    loss = lossTensor.item<float>();
                    if (!double.IsFinite(loss))
                        throw Diverged(log, epoch, step, loss);
                    lossTensor.backward();
                    optimizer.Step(lr);
                    var hits = logits.argmax(1).eq(labels).sum().item<long>();
                    accuracy = (double)hits / labels.shape[0];
                    (lossSum, correct, seen) = (lossSum + loss * labels.shape[0], correct + hits, seen + labels.shape[0]);
                }

                stepsThisRun++;
                var globalStep = epoch * StepsPerEpoch + step + 1;
                var imagesPerSecond = _options.BatchSize / stepClock.Elapsed.TotalSeconds;
                var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / stepsThisRun * (totalSteps - globalStep));
                var report = new TrainingProgress(epoch, step, StepsPerEpoch, globalStep, totalSteps, lr, loss, accuracy, imagesPerSecond, eta);
                log.Step(report);
                progress?.Report(report);
            }

            foreach (var skip in _skipped.Skip(skippedBefore))
                log.Line($"skipped unreadable image {skip.Path}: {skip.Problem}");
            if (aggregate is not null)
            {
                aggregate.Add(epoch, learner);
                if (epoch == _options.Epochs - 1)
                {
                    aggregate.ApplyTo(learner);
                    log.Line($"final prompts: the Gaussian prompt aggregate ({aggregate.Settings}) over {_options.Epochs} epochs");
                }
            }
            // A finite loss can still end in an update that overflows: never save non-finite parameters.
            if (!AllFinite(learner, optimizer))
                throw Diverged(log, epoch, StepsPerEpoch - 1, double.PositiveInfinity);
            TrainingCheckpoint.Save(_output, epoch, learner, optimizer, _description, aggregate);
            log.Line(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}/{_options.Epochs}: lr {lr:G4}, loss {lossSum / Math.Max(seen, 1):F4}, accuracy {100.0 * correct / Math.Max(seen, 1):F2}%, {clock.Elapsed:hh\\:mm\\:ss} elapsed"));
        }

        PromptCheckpoint.Save(FinalPromptsPath, learner, new Dictionary<string, string>(_description) { ["epoch"] = _options.Epochs.ToString(CultureInfo.InvariantCulture) });
        log.Line(_skipped.IsEmpty ? $"done: {FinalPromptsPath}" : $"done: {FinalPromptsPath} ({_skipped.Count} unreadable images skipped; a strict run stops at the first instead)");
        return FinalPromptsPath;
    }

    /// <summary>
    /// The checkpoint a resumed <see cref="Run"/> continues from: the latest one within the planned epochs, with the
    /// epochs it covers; null when there is none (a resumed run then starts from the first epoch).
    /// </summary>
    public (string Path, int EpochsDone)? FindResumePoint() =>
        TrainingCheckpoint.All(_output).Where(c => c.EpochsDone <= _options.Epochs).Cast<(string, int)?>().FirstOrDefault();

    /// <summary>Whether <paramref name="folder"/> holds a run that can be resumed: its log or an epoch checkpoint.</summary>
    public static bool HoldsRun(string folder) =>
        File.Exists(Path.Combine(folder, TrainingLog.TextFileName)) || TrainingCheckpoint.All(folder).Count > 0;

    /// <summary>The prompts' shape for the log: n_ctx, n_ctx_vision, both depths and ctx_init.</summary>
    static string PromptSettings(IReadOnlyDictionary<string, string> d) =>
        $"n_ctx {d["n_ctx"]}, n_ctx_vision {d["n_ctx_vision"]}, text depth {d["text_depth"]}, vision depth {d["vision_depth"]}, " +
        $"ctx_init \"{d["ctx_init"]}\"";

    TrainingDivergedException Diverged(TrainingLog log, int epoch, int step, double loss)
    {
        var error = new TrainingDivergedException(epoch + 1, step + 1, loss);
        var kept = TrainingCheckpoint.All(_output).FirstOrDefault(c => c.EpochsDone <= epoch);
        log.Line($"stopped: {error.Message}; " + (kept.Path is null ? "no checkpoint was written" : $"the last good checkpoint is {kept.Path}"));
        return error;
    }

    /// <summary>The optimiser <paramref name="options"/> name, over <paramref name="learner"/>'s parameters.</summary>
    public static IPromptOptimizer CreateOptimizer(PromptLearner learner, TrainingOptions options) => options.Optimizer == OptimizerKind.AdamW
        ? new AdamW(learner.Parameters, options.WeightDecay)
        : new Sgd(learner.Parameters, options.Momentum, options.WeightDecay);

    static bool AllFinite(PromptLearner learner, IPromptOptimizer optimizer)
    {
        using var scope = NewDisposeScope();
        return learner.Parameters.Select(p => (Tensor)p.Value).Concat(optimizer.State.Values)
            .All(t => t.isfinite().all().item<bool>());
    }

    /// <summary>
    /// The logits of a batch and its loss: cross-entropy, with LoCoOp's or PromptSRC's terms when they are on; MMRL's
    /// own loss (its accuracy read from the fused logits, as the authors log it).
    /// </summary>
    (Tensor Logits, Tensor Loss) Forward(Tensor images, Tensor labels, MmrlObjective? mmrl, SelfRegularizer? regularizer)
    {
        if (mmrl is not null)
        {
            var loss = mmrl.Loss(images, labels);
            return (loss.Outputs.FusedLogits, loss.Total);
        }
        if (regularizer is not null)
        {
            var terms = regularizer.Loss(images, labels);
            return (terms.Logits, terms.Total);
        }
        if (_locoop is null)
        {
            var logits = _model.Logits(images);
            return (logits, nn.functional.cross_entropy(logits, labels));
        }
        var (global, local) = _model.LogitsWithLocal(images);
        return (global, _locoop.Loss(global, local, labels));
    }

    /// <summary>PromptSRC's terms, their frozen text features computed once for the run (the time is logged).</summary>
    SelfRegularizer StartSelfRegularization(SelfRegularization weights, TrainingLog log, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var regularizer = new SelfRegularizer(_model, weights, cancellation);
        log.Line(string.Create(CultureInfo.InvariantCulture,
            $"self-regularisation (text {weights.Text}, image {weights.Image}, logits {weights.Logits}): frozen text features of {_model.ClassNames.Count} classes over {PromptTemplates.PromptSrc.Count} templates in {clock.Elapsed.TotalSeconds:F1} s"));
        return regularizer;
    }

    BatchLoader CreateLoader(int epoch)
    {
        var order = TrainingRng.Order(_data.Items.Count, _options.Seed, epoch, _options.Shuffle);
        var batches = Enumerable.Range(0, StepsPerEpoch).Select(b => order[(b * _options.BatchSize)..((b + 1) * _options.BatchSize)]).ToList();
        var size = _model.Clip.Config.Vision.ImageSize;
        Func<IReadOnlyList<string>, Tensor> load;
        if (_options.Augment)
        {
            var transform = new TrainTransform(size, _model.Clip.Normalization, crop: RandomResizedCrop.Default with { MinScale = _options.CropMinScale });
            var rng = TrainingRng.ForAugmentation(_options.Seed, epoch);
            load = paths => transform.LoadBatch(paths, rng, _options.LoaderThreads);
        }
        else
        {
            var transform = new EvalTransform(size, _model.Clip.Normalization);
            load = paths => transform.LoadBatch(paths, _options.LoaderThreads);
        }
        return new BatchLoader(_data.Items, batches, load, _options.PrefetchBatches, skipUnreadable: !_options.Strict, skipped: _skipped.Enqueue);
    }

    /// <summary>
    /// Refuses a checkpoint or final prompts of another run, naming each difference (was X, now Y). A key
    /// absent from files written before it was recorded (the data fingerprint) cannot be compared: that
    /// is noted when <paramref name="notes"/> is given, not refused.
    /// </summary>
    void CheckSameRun(IReadOnlyDictionary<string, string> saved, string path, List<string>? notes = null)
    {
        var differences = new List<string>();
        foreach (var key in ComparedKeys)
        {
            if (!_description.ContainsKey(key) && !saved.ContainsKey(key))
                continue; // a method's own key (MMRL's), absent from both
            var now = _description.GetValueOrDefault(key, "absent");
            if (!saved.TryGetValue(key, out var was))
            {
                if (key is DataKey)
                {
                    notes?.Add($"{path} does not record its training data, so the data could not be compared");
                    continue;
                }
                differences.Add($"{key} was absent, now {now}");
            }
            else if (key is TrainingKey)
            {
                differences.AddRange(TrainingDifferences(was, now));
            }
            else if (was != now)
            {
                differences.Add($"{key} was {was}, now {now}");
            }
        }
        if (differences.Count > 0)
            throw new UserInputException($"{path}: cannot resume a different run: {string.Join("; ", differences)}; use the run's settings or another output folder");
    }

    const string DataKey = "data";
    const string TrainingKey = "training";

    static readonly string[] ComparedKeys =
        ["method", "n_ctx", "n_ctx_vision", "text_depth", "vision_depth", "ctx_init", "rep_dim", "alpha", "template", "classnames", "backbone_config_hash", "precision", DataKey, TrainingKey];

    /// <summary>The hyper-parameters that differ between two <c>training</c> records, one "name was X, now Y" each.</summary>
    static IEnumerable<string> TrainingDifferences(string was, string now)
    {
        JsonObject? before;
        try
        {
            before = JsonNode.Parse(was) as JsonObject;
        }
        catch (JsonException)
        {
            before = null;
        }
        var after = JsonNode.Parse(now)!.AsObject();
        if (before is null)
        {
            yield return $"training was {was}, now {now}";
            yield break;
        }
        foreach (var name in before.Select(p => p.Key).Union(after.Select(p => p.Key)))
        {
            var a = before[name]?.ToJsonString() ?? "absent";
            var b = after[name]?.ToJsonString() ?? "absent";
            if (a != b)
                yield return $"{name} was {a}, now {b}";
        }
    }

    /// <summary>
    /// "N images, C classes, sha256 …": a fingerprint of the images' paths (relative to their common
    /// folder, so a moved dataset still matches), sizes and labels, in order.
    /// </summary>
    internal static string DataFingerprint(ImageDataset data)
    {
        var paths = data.Items.Select(i => Path.GetFullPath(i.Path)).ToList();
        var root = paths.Count == 0 ? "" : Path.GetDirectoryName(paths[0]) ?? "";
        foreach (var path in paths)
            while (root.Length > 0 && !path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                root = Path.GetDirectoryName(root) ?? "";
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        for (var i = 0; i < paths.Count; i++)
        {
            var info = new FileInfo(paths[i]);
            var size = info.Exists ? info.Length : -1;
            var relative = root.Length == 0 ? paths[i] : Path.GetRelativePath(root, paths[i]).Replace('\\', '/');
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{relative}\t{size}\t{data.Items[i].Label}\n")));
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"{data.Items.Count} images, {data.ClassNames.Count} classes, sha256 {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}");
    }

    static Dictionary<string, string> Describe(PromptedClip model, ImageDataset data, TrainingOptions options, string backbone)
    {
        var description = PromptCheckpoint.Describe(model.Learner, backbone, model.ClassNames);
        description[DataKey] = DataFingerprint(data);
        description["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture);
        description["precision"] = PrecisionSupport.Name(model.Clip.Precision);
        description["training"] = JsonSerializer.Serialize(new
        {
            epochs = options.Epochs,
            batch_size = options.BatchSize,
            lr = options.LearningRate,
            momentum = options.Momentum,
            weight_decay = options.WeightDecay,
            schedule = options.Schedule.ToString().ToLowerInvariant(),
            warmup_epochs = options.WarmupEpochs,
            warmup_lr = options.WarmupLearningRate,
            seed = options.Seed,
            augment = options.Augment,
            shuffle = options.Shuffle,
        });
        // Only when on, so that runs without them describe themselves exactly as before (and still resume).
        var training = JsonNode.Parse(description["training"])!.AsObject();
        if (LoCoOpRegularizer.For(options, model.ClassNames.Count) is { } locoop)
        {
            training["locoop_lambda"] = locoop.Lambda;
            training["locoop_top_k"] = locoop.TopK;
        }
        if (options.Optimizer != OptimizerKind.Sgd)
            training["optimizer"] = options.Optimizer.ToString().ToLowerInvariant();
        if (options.CropMinScale != RandomResizedCrop.Default.MinScale)
            training["crop_min_scale"] = options.CropMinScale;
        if (model.Learner is MmrlLearner)
            training["mmrl_reg_weight"] = options.MmrlConsistencyWeight;
        if (options.SelfRegularization is { } weights)
        {
            training["src_text_weight"] = weights.Text;
            training["src_image_weight"] = weights.Image;
            training["src_logits_weight"] = weights.Logits;
        }
        if (options.PromptAggregation is { } gpa)
        {
            training["gpa_mean"] = gpa.Mean;
            training["gpa_std"] = gpa.Std;
        }
        description["training"] = training.ToJsonString();
        return description;
    }
}
