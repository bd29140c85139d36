using System.CommandLine;
using System.Globalization;
using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Prompting;
using Maple.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace Maple.Cli.Commands;

/// <summary><c>maple train</c>: learns prompts on labelled images.</summary>
static class TrainCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var config = CommonOptions.Config();
        var data = new DataOptions(defaultSplit: "train");
        var shots = new Option<int?>("--shots") { Description = "train on K images per class, sampled with --seed (kept in <output>/split_fewshot/ so reruns reuse them)" };
        var method = new Option<string>("--method") { Description = $"preset: {string.Join(", ", MethodPreset.All.Keys)}", DefaultValueFactory = _ => "maple" };
        var nCtx = new Option<int?>("--n-ctx") { Description = "prompt tokens (text; and vision for MaPLe)" };
        var nCtxVision = new Option<int?>("--n-ctx-vision") { Description = "vision prompt tokens (IVLP, VPT-deep)" };
        var depth = new Option<int?>("--depth") { Description = "prompt depth J (layers that receive new prompts)" };
        var ctxInit = new Option<string?>("--ctx-init") { Description = "words that initialise the context (\"\" = random)" };
        var epochs = new Option<int?>("--epochs") { Description = "epochs" };
        var batch = new Option<int?>("--batch-size") { Description = "images per step" };
        var lr = new Option<double?>("--lr") { Description = "base learning rate" };
        var momentum = new Option<double?>("--momentum") { Description = "SGD momentum (0.9)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "weight decay (5e-4)" };
        var schedule = new Option<string>("--schedule") { Description = "cosine or constant", DefaultValueFactory = _ => "cosine" };
        var warmupEpochs = new Option<int?>("--warmup-epochs") { Description = "epochs at the constant warm-up rate (1)" };
        var warmupLr = new Option<double?>("--warmup-lr") { Description = "warm-up rate (1e-5)" };
        var seed = new Option<long>("--seed") { Description = "seed of prompt init, data order and augmentation", DefaultValueFactory = _ => 1 };
        var noAugment = new Option<bool>("--no-augment") { Description = "use the evaluation transform instead of random resized crop + flip" };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "keep the data's order" };
        var locoopLambda = new Option<double>("--locoop-lambda") { Description = "weight of LoCoOp's background-entropy term (0 = off; LoCoOp uses 0.25)", DefaultValueFactory = _ => 0 };
        var locoopTopK = new Option<int?>("--locoop-top-k") { Description = "LoCoOp's top-k (default max(1, round(200 * classes / 1000)))" };
        var init = new Option<string?>("--init") { Description = "start from these prompt parameters (safetensors, authors' names)" };
        var output = new Option<string>("--output", "-o") { Description = "output folder", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --output from its last checkpoint" };
        var loaderThreads = new Option<int>("--loader-threads") { Description = "threads decoding images", DefaultValueFactory = _ => 1 };
        var strict = new Option<bool>("--strict") { Description = "fail on an unreadable image instead of skipping it (skips are named in train.log)" };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var memorySavingBackward = CommonOptions.MemorySavingBackward();
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var tokenizer = CommonOptions.Tokenizer();

        var command = new Command("train", "Learn prompts (MaPLe or a baseline) from labelled images.")
        {
            model, config, shots, method, nCtx, nCtxVision, depth, ctxInit, epochs, batch, lr, momentum, weightDecay,
            schedule, warmupEpochs, warmupLr, seed, noAugment, noShuffle, locoopLambda, locoopTopK, init, output, resume, loaderThreads, strict, precision, threads, maxImagePixels, tokenizer, device, memorySavingBackward,
        };
        data.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            var preset = MethodPreset.Get(parse.GetValue(method)!, parse.GetValue(shots)).Adapt(
                parse.GetValue(nCtx), parse.GetValue(depth), parse.GetValue(epochs), parse.GetValue(nCtxVision), parse.GetValue(ctxInit));
            var prompts = preset.Prompts;
            var defaults = preset.Options;
            var options = defaults with
            {
                BatchSize = parse.GetValue(batch) ?? defaults.BatchSize,
                LearningRate = parse.GetValue(lr) ?? defaults.LearningRate,
                Momentum = parse.GetValue(momentum) ?? defaults.Momentum,
                WeightDecay = parse.GetValue(weightDecay) ?? defaults.WeightDecay,
                Schedule = ParseSchedule(parse.GetValue(schedule)!),
                WarmupEpochs = parse.GetValue(warmupEpochs) ?? defaults.WarmupEpochs,
                WarmupLearningRate = parse.GetValue(warmupLr) ?? defaults.WarmupLearningRate,
                Seed = parse.GetValue(seed),
                Augment = !parse.GetValue(noAugment),
                Shuffle = !parse.GetValue(noShuffle),
                LoaderThreads = parse.GetValue(loaderThreads),
                Strict = parse.GetValue(strict),
                LoCoOpLambda = parse.GetValue(locoopLambda),
                LoCoOpTopK = parse.GetValue(locoopTopK),
            };
            CommonOptions.NamingFlags(options.Validate);
            var dataset = data.Open(parse, parse.GetValue(shots) is { } k
                ? all => FewShotSampler.LoadOrCreate(parse.GetValue(output)!, all, null, k, options.Seed).Train
                : null);

            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!);
            clip.Model.MemorySavingBackward = parse.GetValue(memorySavingBackward);
            using var learner = PromptLearners.Create(prompts, clip.Model, clip.Tokenizer, options.Seed);
            if (parse.GetValue(init) is { } initPath)
                PromptCheckpoint.LoadInto(learner, initPath);
            using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, dataset.ClassNames);
            var trainer = new Trainer(prompted, dataset, options, parse.GetValue(output)!, clip.Source);

            AnsiConsole.MarkupLine(Markup.Escape(
                $"{PromptMethods.Name(learner.Config.Method)}: {dataset.Items.Count} images, {dataset.ClassNames.Count} classes, " +
                $"{options.Epochs} epochs of {trainer.StepsPerEpoch} steps, batch {options.BatchSize}, lr {options.LearningRate}; prompt \"{prompted.PromptTexts[0]}\""));
            string finalPath;
            try
            {
                finalPath = ProgressDisplay.Run("training", options.Epochs * trainer.StepsPerEpoch, update =>
                    trainer.Run(parse.GetValue(resume), new Progress(update), cancellation));
            }
            catch (TrainingDivergedException ex)
            {
                throw ex.WithFix("try a lower --lr");
            }
            catch (RunExistsException ex)
            {
                throw ex.WithFix("pass --resume to continue it, or choose another --output");
            }
            if (trainer.SkippedImages > 0)
                AnsiConsole.MarkupLine($"[yellow]{trainer.SkippedImages} unreadable images skipped (named in train.log; --strict stops at the first instead)[/]");
            AnsiConsole.MarkupLine($"prompts written to [green]{Markup.Escape(finalPath)}[/]");
            return 0;
        });
        return command;
    }

    static ScheduleKind ParseSchedule(string text) => text.ToLowerInvariant() switch
    {
        "cosine" => ScheduleKind.Cosine,
        "constant" => ScheduleKind.Constant,
        _ => throw new UserInputException($"--schedule must be cosine or constant, not '{text}'"),
    };

    /// <summary>Shows each step's figures on the bar (synchronously: the bar lives on this thread).</summary>
    sealed class Progress(Action<double, string> update) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p) => update(p.GlobalStep, string.Create(CultureInfo.InvariantCulture,
            $"epoch {p.Epoch + 1} step {p.Step + 1}/{p.StepsPerEpoch} loss {p.Loss:F3} acc {100 * p.Accuracy:F0}% lr {p.LearningRate:G3} {p.ImagesPerSecond:F1} img/s ETA {p.Eta:hh\\:mm\\:ss}"));
    }
}
