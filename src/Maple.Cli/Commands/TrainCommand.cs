using System.CommandLine;
using System.Globalization;
using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Evaluation;
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
        var protocol = new Option<string?>("--protocol")
        {
            Description = $"train as the method's authors do in this protocol ({string.Join(", ", TrainingProtocols.ByName.Keys)}), e.g. promptsrc few-shot is " +
                "promptsrc-few-shot, mmrl on ImageNet mmrl-imagenet (default: base2novel with --subset base, else the preset as named)",
            HelpName = "name",
        };
        var nCtx = new Option<int?>("--n-ctx") { Description = $"prompt tokens (text; and vision for MaPLe; MMRL's representation tokens) {PresetDefault}" };
        var nCtxVision = new Option<int?>("--n-ctx-vision") { Description = $"vision prompt tokens (IVLP, VPT-deep) {PresetDefault}" };
        var depth = new Option<int?>("--depth")
        {
            Description = $"prompt depth J, the layers that receive new prompts: at most the backbone's layers (12 for ViT-B/16); MMRL: its tokens go into the last J layers {PresetDefault}",
        };
        var ctxInit = new Option<string?>("--ctx-init") { Description = $"words that initialise the context (\"\" = random) {PresetDefault}", HelpName = "words" };
        var epochs = new Option<int?>("--epochs") { Description = $"epochs {PresetDefault}" };
        var batch = new Option<int?>("--batch-size") { Description = $"images per step {PresetDefault}" };
        var lr = new Option<double?>("--lr") { Description = $"base learning rate {PresetDefault}" };
        var momentum = new Option<double?>("--momentum") { Description = "SGD momentum (default: 0.9)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "weight decay (default: 5e-4)" };
        var schedule = new Option<string>("--schedule") { Description = "cosine or constant", DefaultValueFactory = _ => "cosine" };
        var warmupEpochs = new Option<int?>("--warmup-epochs") { Description = "epochs at the constant warm-up rate (default: 1)" };
        var warmupLr = new Option<double?>("--warmup-lr") { Description = "warm-up rate (default: 1e-5)" };
        var seed = new Option<long>("--seed") { Description = "seed of prompt init, data order and augmentation", DefaultValueFactory = _ => 1 };
        var noAugment = new Option<bool>("--no-augment") { Description = "use the evaluation transform instead of random resized crop + flip" };
        var noShuffle = new Option<bool>("--no-shuffle") { Description = "keep the data's order" };
        var locoopLambda = new Option<double>("--locoop-lambda") { Description = "weight of LoCoOp's background-entropy term (0 = off; LoCoOp uses 0.25)", DefaultValueFactory = _ => 0 };
        var mmrlLambda = new Option<double?>("--mmrl-lambda") { Description = "MMRL: weight of each consistency term with frozen CLIP (REG_WEIGHT; default the preset's, per dataset with --dataset)" };
        var locoopTopK = new Option<int?>("--locoop-top-k") { Description = "LoCoOp's top-k (default max(1, round(200 * classes / 1000)))" };
        var init = new Option<string?>("--init") { Description = "start from these prompt parameters (safetensors, authors' names)" };
        var output = new Option<string>("--output", "-o") { Description = "output folder (prompts, checkpoints, logs, plots)", Required = true, HelpName = "folder" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the resolved recipe (preset and overrides), check it against the backbone, and exit without training" };
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
            model, config, shots, method, protocol, nCtx, nCtxVision, depth, ctxInit, epochs, batch, lr, momentum, weightDecay,
            schedule, warmupEpochs, warmupLr, seed, noAugment, noShuffle, locoopLambda, locoopTopK, mmrlLambda, init, output, dryRun, resume, loaderThreads, strict, precision, threads, maxImagePixels, tokenizer, device, memorySavingBackward,
        };
        data.AddTo(command);
        HelpText.AddSection(command, PresetTable);
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            var training = TrainedProtocol(parse, protocol, data);
            // A benchmark brings its authors' per-dataset settings (MMRL's template, REG_WEIGHT, REP_DIM; PromptSRC's few-shot aggregation).
            var named = MethodPreset.Get(parse.GetValue(method)!, parse.GetValue(shots), data.Benchmark(parse), training);
            var preset = named.Adapt(
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
                MmrlConsistencyWeight = parse.GetValue(mmrlLambda) ?? defaults.MmrlConsistencyWeight,
            };
            CommonOptions.NamingFlags(options.Validate);
            var outputFolder = CommonOptions.OutputFolder(parse.GetValue(output)!);
            var resuming = parse.GetValue(resume);
            if (resuming && !Trainer.HoldsRun(outputFolder))
                throw new UserInputException($"{OutputText.DisplayPath(outputFolder)} holds no run to resume (no train.log, no checkpoint); leave out --resume to start one");
            var backbone = await CommonOptions.ReadModelConfigAsync(parse.GetValue(model)!, cancellation, parse.GetValue(config));
            CommonOptions.NamingFlags(() => preset.CheckFits(backbone));
            if (parse.GetValue(dryRun))
            {
                PrintRecipe(parse, preset, options, backbone, parse.GetValue(shots), training, [method, protocol, nCtx, nCtxVision, depth, ctxInit, epochs, batch, lr, momentum, weightDecay,
                    schedule, warmupEpochs, warmupLr, seed, noAugment, noShuffle, locoopLambda, locoopTopK, mmrlLambda]);
                return 0;
            }
            var dataset = data.Open(parse, parse.GetValue(shots) is { } k
                ? all => FewShotSampler.LoadOrCreate(outputFolder, RequireShots(all, k), null, k, options.Seed).Train
                : null);

            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!);
            clip.Model.MemorySavingBackward = parse.GetValue(memorySavingBackward);
            using var learner = PromptLearners.Create(prompts, clip.Model, clip.Tokenizer, options.Seed);
            if (parse.GetValue(init) is { } initPath)
                PromptCheckpoint.LoadInto(learner, initPath);
            using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, dataset.ClassNames);
            var trainer = new Trainer(prompted, dataset, options, outputFolder, clip.Source);

            AnsiConsole.MarkupLine(Markup.Escape(
                $"{PromptMethods.Name(learner.Config.Method)}: {OutputText.Count(dataset.Items.Count, "image")}, {OutputText.Count(dataset.ClassNames.Count, "class", "classes")}, " +
                $"{OutputText.Count(options.Epochs, "epoch")} of {OutputText.Count(trainer.StepsPerEpoch, "step")}, batch {options.BatchSize}, lr {options.LearningRate}; prompt \"{prompted.PromptTexts[0]}\""));
            var firstEpoch = resuming ? SayResumePoint(trainer, options.Epochs, outputFolder) : 0;
            var display = ProgressDisplay.ForStandardOutput("training", options.Epochs * trainer.StepsPerEpoch, start: firstEpoch * trainer.StepsPerEpoch);
            var progress = new Progress(display, options.Epochs, firstEpoch, trainer.StepsPerEpoch);
            // Said at once, from the signal handler: the step under way may take longer than the process is given to stop.
            var interrupted = cancellation.Register(() => display.Interrupt(
                $"interrupted at epoch {progress.Epoch}, step {progress.Step}/{trainer.StepsPerEpoch}; rerun with --resume to continue", Console.Error));
            string finalPath;
            try
            {
                finalPath = display.Watch(() => trainer.Run(resuming, progress, cancellation));
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return CommandRunner.CancelledCode;
            }
            catch (TrainingDivergedException ex)
            {
                throw ex.WithFix("try a lower --lr");
            }
            catch (RunExistsException ex)
            {
                throw ex.WithFix("pass --resume to continue it, or choose another --output");
            }
            finally
            {
                // The training is over: a Ctrl+C from here on interrupts nothing that --resume would continue.
                interrupted.Dispose();
            }
            if (trainer.SkippedImages > 0)
                AnsiConsole.MarkupLine($"[yellow]{OutputText.Count(trainer.SkippedImages, "unreadable image")} skipped (named in train.log; --strict stops at the first instead)[/]");
            var curves = Path.Combine(outputFolder, "curves.png");
            Plots.TrainingCurves(curves, Path.Combine(outputFolder, "train.jsonl"), $"{PromptMethods.Name(learner.Config.Method)} on {dataset.Source}");
            OutputText.Wrote(finalPath, curves);
            return 0;
        });
        return command;
    }

    const string PresetDefault = "(default: the preset's, listed below)";

    /// <summary>
    /// The protocol <c>--protocol</c> names, or base-to-novel when the run trains on the base classes; null when
    /// neither applies. A protocol and a <c>--subset</c> that disagree on the classes trained are refused.
    /// </summary>
    static TrainingProtocol? TrainedProtocol(ParseResult parse, Option<string?> protocol, DataOptions data)
    {
        var subset = data.Subset(parse);
        if (parse.GetValue(protocol) is not { } name)
            return subset == Subset.Base ? TrainingProtocol.BaseToNovel : null;
        TrainingProtocol named;
        try
        {
            named = TrainingProtocols.Parse(name);
        }
        catch (UserInputException e)
        {
            throw new UserInputException($"--protocol: {e.Message}", e);
        }
        var trains = TrainingProtocols.TrainedClasses(named);
        if (subset != trains)
            throw new UserInputException($"--protocol {TrainingProtocols.Name(named)} trains on {(trains == Subset.Base ? "the base classes (--subset base)" : "all classes (--subset all)")}, not --subset {subset.ToString().ToLowerInvariant()}");
        return named;
    }

    /// <summary>The settings that differ between presets, one row per preset: what --help lists after the options.</summary>
    static string PresetTable()
    {
        var rows = new List<string[]> { new[] { "preset", "epochs", "batch", "lr", "n_ctx", "depth", "ctx_init" } };
        var notes = new List<string>();
        // Zero-shot CLIP learns nothing: its row would list a recipe that changes no parameter.
        foreach (var preset in MethodPreset.All.Values.Where(p => p.Prompts.Method != PromptMethod.ZeroShot))
        {
            var (p, o) = (preset.Prompts, preset.Options);
            var tokens = p.Method is PromptMethod.Maple or PromptMethod.Mmrl || p.VisionTokens == 0 ? Number(p.TextTokens)
                : p.TextTokens == 0 ? $"vision {p.VisionTokens}" : $"{p.TextTokens} + vision {p.VisionTokens}";
            rows.Add([preset.Name, Number(o.Epochs), Number(o.BatchSize), Number(o.LearningRate), tokens,
                Number(Math.Max(p.TextDepth, p.VisionDepth)), p.TextTokens == 0 || p.Method == PromptMethod.Mmrl ? "-" : $"\"{p.CtxInit}\""]);
            var byShots = Enumerable.Range(1, 16).GroupBy(k => MethodPreset.Get(preset.Name, k).Options.Epochs).ToList();
            if (byShots.Count > 1)
                notes.Add($"{preset.Name} with --shots K: " + string.Join(", ", byShots.Select((g, i) =>
                    $"{g.Key} epochs" + (i == byShots.Count - 1 ? " above" : $" for K up to {g.Max()}"))));
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new System.Text.StringBuilder("Preset defaults (--method; a flag overrides its column; --dry-run prints the whole recipe):").AppendLine();
        foreach (var row in rows)
            text.Append("  ").AppendLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        foreach (var note in notes)
            text.Append("  ").AppendLine(note);
        return text.ToString();
    }

    /// <summary>What --dry-run prints: every setting of the run, and whether it comes from the preset, a flag or the shared defaults.</summary>
    static void PrintRecipe(ParseResult parse, MethodPreset preset, TrainingOptions options, Maple.Clip.ClipConfig backbone, int? shots, TrainingProtocol? training, Option[] flags)
    {
        var given = flags.Where(f => parse.GetResult(f) is { Implicit: false }).Select(f => f.Name).ToHashSet();
        var p = preset.Prompts;
        var table = new Table().AddColumns("setting", "value", "from");
        void Row(string name, string value, string flag, bool byPreset = false) =>
            table.AddRow(Markup.Escape(name), Markup.Escape(value), given.Contains(flag) ? Markup.Escape(flag) : byPreset ? $"preset {Markup.Escape(preset.Name)}" : "default");
        Row("method", PromptMethods.Name(p.Method), "--method", byPreset: true);
        table.AddRow("protocol", training is { } t ? TrainingProtocols.Name(t) : "-",
            given.Contains("--protocol") ? "--protocol" : training is null ? "default" : "--subset base");
        Row("n_ctx", p.VisionTokens == 0 || p.Method == PromptMethod.Maple ? Number(p.TextTokens) : $"text {p.TextTokens}, vision {p.VisionTokens}",
            given.Contains("--n-ctx-vision") ? "--n-ctx-vision" : "--n-ctx", byPreset: true);
        Row("depth", p.TextDepth == p.VisionDepth || p.VisionDepth == 0 || p.TextDepth == 0 ? Number(Math.Max(p.TextDepth, p.VisionDepth)) : $"text {p.TextDepth}, vision {p.VisionDepth}",
            "--depth", byPreset: true);
        Row("ctx_init", p.TextTokens == 0 ? "-" : $"\"{p.CtxInit}\"", "--ctx-init", byPreset: true);
        Row("epochs", Number(options.Epochs), "--epochs", byPreset: true);
        Row("batch_size", Number(options.BatchSize), "--batch-size", byPreset: true);
        Row("lr", Number(options.LearningRate), "--lr", byPreset: true);
        Row("momentum", Number(options.Momentum), "--momentum");
        Row("weight_decay", Number(options.WeightDecay), "--weight-decay");
        Row("schedule", options.Schedule.ToString().ToLowerInvariant(), "--schedule");
        Row("warmup_epochs", Number(options.WarmupEpochs), "--warmup-epochs");
        Row("warmup_lr", Number(options.WarmupLearningRate), "--warmup-lr");
        Row("seed", Number(options.Seed), "--seed");
        Row("augment", options.Augment ? "random resized crop + flip" : "none", "--no-augment");
        Row("shuffle", options.Shuffle ? "yes" : "no", "--no-shuffle");
        Row("locoop_lambda", Number(options.LoCoOpLambda), "--locoop-lambda");
        if (options.SelfRegularization is { } w)
            table.AddRow("self_regularisation", Markup.Escape($"text {Number(w.Text)}, image {Number(w.Image)}, logits {Number(w.Logits)}"), $"preset {Markup.Escape(preset.Name)}");
        if (options.PromptAggregation is { } gpa)
            table.AddRow("prompt_aggregation", Markup.Escape($"Gaussian, {gpa}"), $"preset {Markup.Escape(preset.Name)}");
        table.AddRow("shots", shots is { } k ? Number(k) + " per class" : "all images", shots is null ? "default" : "--shots");
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"recipe of {preset.Name} for a backbone of {backbone.Text.Layers} text and {backbone.Vision.Layers} vision layers:")));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("dry run: nothing trained (without --dry-run, this recipe trains)");
    }

    static string Number(double value) => value.ToString("G", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    static ScheduleKind ParseSchedule(string text) => text.ToLowerInvariant() switch
    {
        "cosine" => ScheduleKind.Cosine,
        "constant" => ScheduleKind.Constant,
        _ => throw new UserInputException($"--schedule must be cosine or constant, not '{text}'"),
    };

    /// <summary>
    /// Says where a resumed run continues (the checkpoint's epoch and step, or the start when no epoch had finished);
    /// returns the epochs already done.
    /// </summary>
    static int SayResumePoint(Trainer trainer, int epochs, string outputFolder)
    {
        if (trainer.FindResumePoint() is not var (path, done))
        {
            AnsiConsole.MarkupLine(Markup.Escape($"resuming {OutputText.DisplayPath(outputFolder)}: no epoch had finished, so it starts again from epoch 1"));
            return 0;
        }
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"resuming after epoch {done}/{epochs} (step {done * trainer.StepsPerEpoch}/{epochs * trainer.StepsPerEpoch}) from {OutputText.DisplayPath(path)}")));
        return done;
    }

    /// <summary>Refuses <c>--shots</c> larger than the images of a class, naming the classes that are short.</summary>
    static ImageDataset RequireShots(ImageDataset all, int shots)
    {
        var counts = all.CountsPerClass();
        var shortClasses = Enumerable.Range(0, counts.Length).Where(c => counts[c] < shots).ToList();
        if (shortClasses.Count == 0)
            return all;
        const int Named = 5;
        var named = string.Join(", ", shortClasses.Take(Named).Select(c => $"'{all.ClassNames[c]}' ({counts[c]})"));
        var more = shortClasses.Count > Named ? $" and {shortClasses.Count - Named} more" : "";
        throw new UserInputException(
            $"--shots {shots}: {shortClasses.Count} of {OutputText.Count(counts.Length, "class", "classes")} in {all.Source} have fewer images: {named}{more}; use --shots {counts.Min()} or fewer");
    }

    /// <summary>Shows each step's figures on the display, and remembers the last step for the interrupt message.</summary>
    sealed class Progress(ProgressDisplay display, int epochs, int firstEpoch, int stepsPerEpoch) : IProgress<TrainingProgress>
    {
        /// <summary>The epoch under way (1-based).</summary>
        public int Epoch { get; private set; } = Math.Min(firstEpoch + 1, epochs);

        /// <summary>Steps done in it.</summary>
        public int Step { get; private set; }

        public void Report(TrainingProgress p)
        {
            (Epoch, Step) = (p.Epoch + 1, p.Step + 1);
            display.Update(p.GlobalStep, string.Create(CultureInfo.InvariantCulture,
                $"epoch {p.Epoch + 1}/{epochs}, step {p.Step + 1}/{stepsPerEpoch}, loss {p.Loss:F3}, acc {100 * p.Accuracy:F0}%, lr {p.LearningRate:G3}, {p.ImagesPerSecond:F1} img/s"));
        }
    }
}
