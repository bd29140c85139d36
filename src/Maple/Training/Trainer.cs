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
/// checkpoint to the same final parameters as an uninterrupted one.
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
            throw new ArgumentException($"{data.Source}: {data.Items.Count} images, fewer than one batch of {options.BatchSize}");
        if (data.Items.Any(i => i.Label >= model.ClassNames.Count))
            throw new ArgumentException($"{data.Source}: labels exceed the {model.ClassNames.Count} class names");
        _model = model;
        _data = data;
        _options = options;
        _locoop = LoCoOpRegularizer.For(options, model.ClassNames.Count);
        _output = outputFolder;
        _description = Describe(model, options, backbone);
    }

    /// <summary>The final prompts' path.</summary>
    public string FinalPromptsPath => Path.Combine(_output, "prompt.safetensors");

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

    /// <summary>Runs (or, with <paramref name="resume"/>, continues) the training; returns the final prompts' path.</summary>
    public string Run(bool resume = false, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(_output);
        _skipped.Clear();
        var learner = _model.Learner;
        using var optimizer = new Sgd(learner.Parameters, _options.Momentum, _options.WeightDecay);
        var firstEpoch = 0;
        var latest = TrainingCheckpoint.Latest(_output);
        if (latest is { } checkpoint)
        {
            if (!resume)
                throw new InvalidOperationException($"{_output} already holds a run ({checkpoint.Path}); pass --resume to continue it or choose another output folder");
            var metadata = TrainingCheckpoint.Restore(checkpoint.Path, learner, optimizer);
            CheckSameRun(metadata, checkpoint.Path);
            firstEpoch = checkpoint.EpochsDone;
        }

        using var log = new TrainingLog(_output, firstEpoch);
        if (firstEpoch > 0)
        {
            log.Line($"resumed from {latest!.Value.Path} after epoch {firstEpoch}");
        }
        else
        {
            log.Line($"training {_description["method"]} on {_data.Source}: {_data.Items.Count} images, {_model.ClassNames.Count} classes");
            log.Line($"settings: {_description["training"]}");
            log.Line($"precision: {_model.Clip.PrecisionChoice}");
        }

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
                using var labels = batch.Labels;
                cancellation.ThrowIfCancellationRequested();
                var stepClock = Stopwatch.StartNew();
                double loss, accuracy;
                using (var scope = NewDisposeScope())
                {
                    optimizer.ZeroGrad();
                    var (logits, lossTensor) = Forward(images, labels);
                    lossTensor.backward();
                    optimizer.Step(lr);
                    loss = lossTensor.item<float>();
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
            TrainingCheckpoint.Save(_output, epoch, learner, optimizer, _description);
            log.Line(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}/{_options.Epochs}: lr {lr:G4}, loss {lossSum / Math.Max(seen, 1):F4}, accuracy {100.0 * correct / Math.Max(seen, 1):F2}%, {clock.Elapsed:hh\\:mm\\:ss} elapsed"));
        }

        PromptCheckpoint.Save(FinalPromptsPath, learner, new Dictionary<string, string>(_description) { ["epoch"] = _options.Epochs.ToString(CultureInfo.InvariantCulture) });
        log.Line(_skipped.IsEmpty ? $"done: {FinalPromptsPath}" : $"done: {FinalPromptsPath} ({_skipped.Count} unreadable images skipped; --strict makes them fatal)");
        return FinalPromptsPath;
    }

    /// <summary>The logits of a batch and its loss: cross-entropy, with LoCoOp's entropy term when it is on.</summary>
    (Tensor Logits, Tensor Loss) Forward(Tensor images, Tensor labels)
    {
        if (_locoop is null)
        {
            var logits = _model.Logits(images);
            return (logits, nn.functional.cross_entropy(logits, labels));
        }
        var (global, local) = _model.LogitsWithLocal(images);
        return (global, _locoop.Loss(global, local, labels));
    }

    BatchLoader CreateLoader(int epoch)
    {
        var order = TrainingRng.Order(_data.Items.Count, _options.Seed, epoch, _options.Shuffle);
        var batches = Enumerable.Range(0, StepsPerEpoch).Select(b => order[(b * _options.BatchSize)..((b + 1) * _options.BatchSize)]).ToList();
        var size = _model.Clip.Config.Vision.ImageSize;
        Func<IReadOnlyList<string>, Tensor> load;
        if (_options.Augment)
        {
            var transform = new TrainTransform(size, _model.Clip.Normalization);
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

    void CheckSameRun(IReadOnlyDictionary<string, string> saved, string path)
    {
        foreach (var key in new[] { "method", "n_ctx", "n_ctx_vision", "text_depth", "vision_depth", "ctx_init", "classnames", "backbone_config_hash", "training" })
        {
            saved.TryGetValue(key, out var was);
            if (was != _description[key])
                throw new InvalidDataException($"{path}: cannot resume: '{key}' was {was ?? "(absent)"} in the checkpoint, {_description[key]} now");
        }
    }

    static Dictionary<string, string> Describe(PromptedClip model, TrainingOptions options, string backbone)
    {
        var description = PromptCheckpoint.Describe(model.Learner, backbone, model.ClassNames);
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
        // Only when on, so that runs without it describe themselves exactly as before (and still resume).
        if (LoCoOpRegularizer.For(options, model.ClassNames.Count) is { } locoop)
        {
            var training = JsonNode.Parse(description["training"])!.AsObject();
            training["locoop_lambda"] = locoop.Lambda;
            training["locoop_top_k"] = locoop.TopK;
            description["training"] = training.ToJsonString();
        }
        return description;
    }
}
