using System.CommandLine;
using Maple.Imaging;
using Maple.Clip;
using Maple.Clip.Hub;
using Maple.Clip.Weights;
using Maple.Data;
using Maple.Evaluation.Ood;
using Maple.Evaluation.Protocols;
using Maple.Prompting;
using Maple.Training;
using Spectre.Console;
using TorchSharp;

namespace Maple.Cli;

/// <summary>Options that several commands share, and the code that acts on them.</summary>
static class CommonOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "CLIP model: a Hugging Face id (openai/clip-vit-base-patch16), a Hugging Face folder, or an OpenAI .pt/.safetensors file",
        HelpName = "model",
        Required = true,
    };

    public static Option<string?> Config() => new("--config")
    {
        Description = "the model's config file (open_clip_config.json, an open_clip model config or a Hugging Face config.json), "
            + "for weights without one beside them",
        HelpName = "file",
    };

    public static Option<string> Precision() => new("--precision")
    {
        Description = "fp32, bf16 or auto (bf16 where the device computes it natively)",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "where the model computes: cpu, cuda (the first GPU) or cuda:N; CUDA needs a build with -p:MapleTorchBackend=cuda",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<bool> MemorySavingBackward() => new("--memory-saving-backward")
    {
        Description = "keep less than half of what the frozen encoder blocks keep for the backward pass, at about 15% more backward time "
            + "(for hundreds of classes or more)",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "libtorch threads (default: all cores)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string?> Tokenizer() => new("--tokenizer")
    {
        Description = "folder with vocab.json and merges.txt (needed for OpenAI checkpoints, which carry none)",
        HelpName = "folder",
    };

    public static Option<long> MaxImagePixels() => new("--max-image-pixels")
    {
        Description = "refuse images whose header declares more pixels than this, before decoding (Pillow's limit by default; raise it only for images you trust)",
        DefaultValueFactory = _ => ImageDecoder.DefaultMaxPixels,
    };

    /// <summary><c>--class</c>: one class name per occurrence, so that the image paths after it stay arguments.</summary>
    public static Option<string[]> ClassName() => new("--class")
    {
        Description = "a class name; repeat the flag for each class (--class cat --class \"red fox\")",
        HelpName = "name",
    };

    /// <summary><c>--classes</c>: a file of class names, one per line.</summary>
    public static Option<string?> ClassesFile(string description) => new("--classes") { Description = description, HelpName = "file" };

    /// <summary>The unlabelled images of predict, zeroshot and embed: files and folders, as arguments.</summary>
    /// <param name="required">Whether at least one is needed (not when another option may stand for them).</param>
    public static Argument<string[]> Images(bool required)
    {
        var images = new Argument<string[]>("images")
        {
            Description = "image files and folders (a folder: every image inside it and its sub-folders, sorted)",
            Arity = required ? ArgumentArity.OneOrMore : ArgumentArity.ZeroOrMore,
        };
        // The parser hands an unknown option to the argument that takes any number of values; one that is no path is a typo.
        images.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Select(t => t.Value).Where(v => v.StartsWith('-') && !File.Exists(v) && !Directory.Exists(v)))
                result.AddError(CommandRunner.UnknownToken(token));
        });
        return images;
    }

    /// <summary>The image files of the arguments and of the old <c>--images</c> option, folders expanded.</summary>
    /// <exception cref="UserInputException">No image given.</exception>
    public static IReadOnlyList<string> ImageFiles(ParseResult parse, Argument<string[]> images, Option<string[]>? oldImages = null)
    {
        var inputs = (parse.GetValue(images) ?? []).Concat(oldImages is null ? [] : parse.GetValue(oldImages) ?? []).ToList();
        if (inputs.Count == 0)
            throw new UserInputException($"no images: give image files or folders after the options ({HelpText.CommandPath(parse.CommandResult.Command)} ... photo.jpg photos/)");
        return Maple.Data.ImageFiles.Expand(inputs);
    }

    /// <summary>
    /// The classes of <c>--classes FILE</c> or of the <c>--class</c> flags (not both), else those recorded in
    /// <paramref name="promptsPath"/>'s file when given.
    /// </summary>
    /// <exception cref="UserInputException">Both or neither given, or a blank name.</exception>
    public static IReadOnlyList<string> ResolveClasses(string? classesFile, string[]? classNames, string? promptsPath = null, string? ctxInit = null)
    {
        if (classesFile is not null && classNames is { Length: > 0 })
            throw new UserInputException("pass either --classes FILE or --class NAME, not both");
        if (classesFile is not null)
            return DatasetSource.ReadClassNames(classesFile);
        if (classNames is { Length: > 0 })
        {
            if (classNames.Any(string.IsNullOrWhiteSpace))
                throw new UserInputException("--class: a class name is blank");
            return classNames;
        }
        if (promptsPath is not null)
        {
            using var checkpoint = ctxInit is null ? PromptCheckpoint.Read(promptsPath) : PromptCheckpoint.Read(promptsPath, ctxInit);
            if (checkpoint.ClassNames is { Count: > 0 } recorded)
                return recorded;
            throw new UserInputException($"no classes: pass --classes FILE or --class NAME ({promptsPath} records none)");
        }
        throw new UserInputException("no classes: pass --classes FILE (one name per line) or --class NAME for each class");
    }

    /// <summary>
    /// Refuses, before any work, an <c>-o/--output</c> that names a folder where a file is written, or a file of
    /// another kind than <paramref name="extensions"/> (any when none given).
    /// </summary>
    /// <exception cref="UserInputException">The path is a folder, ends in a separator, lies under a file, or has another extension.</exception>
    public static string OutputFile(string path, params string[] extensions)
    {
        var example = Path.Combine(path, "results" + (extensions.Length > 0 ? extensions[0] : ".json"));
        if (Directory.Exists(path) || Path.EndsInDirectorySeparator(path))
            throw new UserInputException($"-o/--output {path} is a folder; this command writes a file: give its path (e.g. {example})");
        if (extensions.Length > 0 && !extensions.Any(e => Path.GetExtension(path).Equals(e, StringComparison.OrdinalIgnoreCase)))
            throw new UserInputException($"-o/--output {path} must end in {string.Join(" or ", extensions)}");
        RequireNoFileAbove(Path.GetDirectoryName(Path.GetFullPath(path)));
        return path;
    }

    /// <summary>Refuses, before any work, an <c>-o/--output</c> that names a file where a folder of results is written.</summary>
    /// <exception cref="UserInputException">The path is an existing file or lies under one.</exception>
    public static string OutputFolder(string path)
    {
        if (File.Exists(path))
            throw new UserInputException($"-o/--output {path} is a file; this command writes several files into a folder: give a folder");
        RequireNoFileAbove(Path.GetDirectoryName(Path.GetFullPath(path)));
        return path;
    }

    static void RequireNoFileAbove(string? folder)
    {
        for (var f = folder; !string.IsNullOrEmpty(f); f = Path.GetDirectoryName(f))
        {
            if (File.Exists(f))
                throw new UserInputException($"-o/--output: {f} is a file, so nothing can be written under it");
            if (Directory.Exists(f))
                return;
        }
    }

    /// <summary>Applies --max-image-pixels.</summary>
    public static void ApplyImageLimit(long maxPixels)
    {
        if (maxPixels < 1)
            throw new UserInputException($"--max-image-pixels must be at least 1, not {maxPixels}");
        ImageDecoder.MaxPixels = maxPixels;
    }

    /// <summary>Applies --threads.</summary>
    public static void ApplyThreads(int threads)
    {
        // Only the intra-op pool: libtorch aborts the process if the inter-op pool is resized after first use.
        if (threads > 0)
            torch.set_num_threads(threads);
    }

    /// <summary>The range of every whole-number flag that has one, whichever command it belongs to.</summary>
    static readonly Dictionary<string, (int Min, int Max)> Ranges = new()
    {
        ["--batch-size"] = (1, int.MaxValue),
        ["--eval-batch-size"] = (1, int.MaxValue),
        ["--loader-threads"] = (1, 1024),
        ["--threads"] = (0, 1024),
        ["--top"] = (1, int.MaxValue),
        ["--shots"] = (1, int.MaxValue),
        ["--epochs"] = (1, int.MaxValue),
        ["--size-sample"] = (0, int.MaxValue),
        ["--max-listed"] = (0, int.MaxValue),
    };

    /// <summary>
    /// Adds the range checks of <see cref="Ranges"/> to every command under <paramref name="root"/>: a value out
    /// of range is a parse error naming the flag, before anything runs.
    /// </summary>
    public static void AddRangeChecks(Command root)
    {
        foreach (var option in root.Options)
        {
            if (!Ranges.TryGetValue(option.Name, out var range))
                continue;
            option.Validators.Add(result =>
            {
                var values = result.Tokens.Select(t => int.TryParse(t.Value, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : (int?)null);
                foreach (var value in values.OfType<int>().Where(v => v < range.Min || v > range.Max))
                    result.AddError(range.Max == int.MaxValue
                        ? $"{option.Name} must be at least {range.Min} (got {value})"
                        : $"{option.Name} must be from {range.Min} to {range.Max} (got {value})");
            });
        }
        foreach (var command in root.Subcommands)
            AddRangeChecks(command);
    }

    /// <summary>
    /// The command-line flag of each library setting that <see cref="InvalidSettingException"/> may name: the properties
    /// of <see cref="TrainingOptions"/>, <see cref="OodScoreOptions"/>, <see cref="BenchmarkSettings"/> and
    /// <see cref="OodBenchmarkSpec"/>. A name shared by two records (Epochs, LoaderThreads) has one flag in every command.
    /// </summary>
    static readonly Dictionary<string, string> SettingFlags = new()
    {
        [nameof(TrainingOptions.Epochs)] = "--epochs",
        [nameof(TrainingOptions.BatchSize)] = "--batch-size",
        [nameof(TrainingOptions.LearningRate)] = "--lr",
        [nameof(TrainingOptions.Momentum)] = "--momentum",
        [nameof(TrainingOptions.WeightDecay)] = "--weight-decay",
        [nameof(TrainingOptions.WarmupEpochs)] = "--warmup-epochs",
        [nameof(TrainingOptions.WarmupLearningRate)] = "--warmup-lr",
        [nameof(TrainingOptions.LoaderThreads)] = "--loader-threads",
        [nameof(TrainingOptions.LoCoOpLambda)] = "--locoop-lambda",
        [nameof(TrainingOptions.MmrlConsistencyWeight)] = "--mmrl-lambda",
        [nameof(TrainingOptions.LoCoOpTopK)] = "--locoop-top-k",
        [nameof(OodScoreOptions.Temperature)] = "--temperature",
        [nameof(OodScoreOptions.Lambda)] = "--lambda",
        [nameof(BenchmarkSettings.DataRoot)] = "--data-root",
        [nameof(BenchmarkSettings.Depth)] = "--depth",
        [nameof(OodBenchmarkSpec.Id)] = "--id",
        [nameof(OodBenchmarkSpec.Ood)] = "--ood",
    };

    /// <summary>
    /// Runs <paramref name="action"/> (an options record's validation, or library work that checks settings); a setting
    /// it refuses (<see cref="InvalidSettingException"/>) is named by its flag.
    /// </summary>
    public static void NamingFlags(Action action)
    {
        try
        {
            action();
        }
        catch (InvalidSettingException ex) when (SettingFlags.TryGetValue(ex.Setting, out var flag))
        {
            throw new UserInputException(ex.MessageFor(flag), ex);
        }
    }

    /// <summary>Loads the model named by the options, with a download bar when it comes from the hub.</summary>
    public static async Task<PretrainedClip> LoadModelAsync(string model, string precision, string? tokenizer, CancellationToken cancellation, string? config = null,
        string device = "cpu")
    {
        var computeDevice = ComputeDevice.Parse(device);
        var progress = new DownloadBar();
        try
        {
            var clip = await PretrainedClip.LoadAsync(model, PrecisionSupport.Parse(precision), tokenizer, progress, config: config, cancellation: cancellation,
                device: computeDevice);
            AnsiConsole.MarkupLine($"[grey]model {Markup.Escape(model)}: {DescribeModel(clip.Model)}[/]");
            if (computeDevice.type != DeviceType.CPU)
                AnsiConsole.MarkupLine($"device: {ComputeDevice.Name(clip.Model.Device)}");
            AnsiConsole.MarkupLine($"precision: {Markup.Escape(clip.Model.PrecisionChoice.ToString())}");
            return clip;
        }
        catch (ArchitectureUnknownException ex)
        {
            throw WithConfigHint(ex);
        }
        finally
        {
            progress.Finish();
        }
    }

    static UserInputException WithConfigHint(ArchitectureUnknownException ex) => new($"{ex.Message} (--config FILE)", ex);

    /// <summary>The architecture of the model named by --model, without loading its weights into a model.</summary>
    public static async Task<ClipConfig> ReadModelConfigAsync(string model, CancellationToken cancellation, string? config = null)
    {
        var path = model;
        if (!File.Exists(model))
        {
            var progress = new DownloadBar();
            try
            {
                path = await new ModelResolver(HubOptions.FromEnvironment()).ResolveAsync(model, progress, cancellation);
            }
            finally
            {
                progress.Finish();
            }
        }
        try
        {
            return ClipWeightLoader.ReadConfig(path, config);
        }
        catch (ArchitectureUnknownException ex)
        {
            throw WithConfigHint(ex);
        }
    }

    // The heads and activation too: they come from a config, not the weights, so the user sees what was read.
    static string DescribeModel(ClipModel m) =>
        $"ViT {m.Config.Vision.Width}w/{m.Config.Vision.Layers}L/{m.Config.Vision.Heads} heads/patch {m.Config.Vision.PatchSize}/{m.Config.Vision.ImageSize}px, " +
        $"text {m.Config.Text.Width}w/{m.Config.Text.Layers}L/{m.Config.Text.Heads} heads, {m.Config.Vision.Activation}, embed {m.Config.EmbedDim}";
}
