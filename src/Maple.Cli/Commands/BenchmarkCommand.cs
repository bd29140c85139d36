using System.CommandLine;
using System.Globalization;
using Maple.Evaluation;
using Maple.Evaluation.Ood;
using Maple.Evaluation.Protocols;
using Maple.Training;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple benchmark</c>: the paper's protocols over the CoOp/Dassl datasets, and OOD detection, resumable cell by cell.</summary>
static class BenchmarkCommand
{
    public static Command Create()
    {
        var command = new Command("benchmark", "Run the paper's protocols (base-to-novel, cross-dataset, domain generalisation, few-shot) or an OOD benchmark and write their tables.");
        command.Subcommands.Add(Protocol("base2novel", "Train on the base half of each dataset's classes (16 shots); score base and novel; report HM.",
            (runner, _, ct) => runner.BaseToNovel(ct).ToMarkdown()));
        command.Subcommands.Add(Protocol("cross-dataset", "Train on ImageNet (all classes, 16 shots; MaPLe with its transfer preset); score ImageNet and the ten other datasets.",
            (runner, _, ct) => runner.CrossDataset(ct).ToMarkdown()));
        command.Subcommands.Add(Protocol("domain-generalization", "Score the ImageNet-trained prompts on ImageNet-V2, -Sketch, -A and -R (sharing cross-dataset's ImageNet training).",
            (runner, _, ct) => runner.DomainGeneralization(ct).ToMarkdown()));
        command.Subcommands.Add(Protocol("few-shot", "Train on all classes with K shots for each --shots K; score the test sets.",
            (runner, shots, ct) => runner.FewShotLearning(shots, ct).ToMarkdown(), severalShots: true));
        command.Subcommands.Add(Ood());
        return command;
    }

    static Command Protocol(string name, string description, Func<BenchmarkRunner, IReadOnlyList<int>, CancellationToken, string> run, bool severalShots = false)
    {
        var options = new SharedOptions(severalShots, dataRootRequired: true);
        var datasets = new Option<string[]>("--datasets") { Description = "datasets to score, or 'all' (the protocol's own list)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["all"] };
        var command = new Command(name, description) { datasets };
        options.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var (settings, shots) = options.Settings(parse, parse.GetValue(datasets)!);
            return await RunAsync(options, parse, settings, runner => run(runner, shots, cancellation), cancellation);
        });
        return command;
    }

    static Command Ood()
    {
        var options = new SharedOptions(severalShots: true, dataRootRequired: false);
        var id = new Option<string>("--id")
        {
            Description = "in-distribution data: a benchmark name under --data-root (train split to train, test split to score), a split JSON, or an image folder (the images not drawn for training are scored)",
            Required = true,
        };
        var ood = new Option<string[]>("--ood")
        {
            Description = "OOD sets: benchmark names under --data-root (test split), image folders (flat or with class folders) or split JSONs; './name' forces a folder",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var score = new Option<string>("--score") { Description = $"OOD score: {string.Join(", ", OodScores.Names)}", DefaultValueFactory = _ => "mcm" };
        var temperature = new Option<double>("--temperature", "-T") { Description = "temperature: of the cosines for mcm/glmcm, of the logits for energy", DefaultValueFactory = _ => 1 };
        var lambda = new Option<double>("--lambda") { Description = "weight of GL-MCM's local term", DefaultValueFactory = _ => 0.5 };
        var command = new Command("ood", "Train on the ID set's K-shot sample (per method, seed and K) and score OOD detection: AUROC, AUPR and FPR95 per OOD set and averaged.")
        {
            id, ood, score, temperature, lambda,
        };
        options.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var scoreOptions = new OodScoreOptions(OodScores.Parse(parse.GetValue(score)!), parse.GetValue(temperature), parse.GetValue(lambda));
            CommonOptions.NamingFlags(scoreOptions.Validate);
            var (settings, shots) = options.Settings(parse, []);
            var spec = new OodBenchmarkSpec(parse.GetValue(id)!, parse.GetValue(ood)!, scoreOptions, shots);
            return await RunAsync(options, parse, settings, runner => runner.Ood(spec, cancellation).ToMarkdown(), cancellation);
        });
        return command;
    }

    static async Task<int> RunAsync(SharedOptions options, ParseResult parse, BenchmarkSettings settings, Func<BenchmarkRunner, string> run, CancellationToken cancellation)
    {
        CommonOptions.ApplyThreads(parse.GetValue(options.Threads));
        CommonOptions.ApplyImageLimit(parse.GetValue(options.MaxImagePixels));
        // One benchmark per folder: two would train the same cells at once (each cell's training also locks its own folder).
        using var folderLock = RunLock.Acquire(settings.Output);
        if (folderLock.TakenOver is { } stale)
            AnsiConsole.MarkupLine(Markup.Escape($"took over the lock of a benchmark that is no longer running ({stale})"));
        using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(options.Model)!, parse.GetValue(options.Precision)!, parse.GetValue(options.Tokenizer), cancellation, parse.GetValue(options.Config),
            parse.GetValue(options.Device)!);
        clip.Model.MemorySavingBackward = parse.GetValue(options.MemorySavingBackward);
        var markdown = "";
        var observer = new Observer();
        try
        {
            CommonOptions.NamingFlags(() => markdown = run(new BenchmarkRunner(clip, settings, observer)));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            observer.EndPhase();
            Console.Error.WriteLine($"interrupted; rerun with the same --out to continue (finished cells and epochs are kept in {OutputText.DisplayPath(settings.Output)})");
            return CommandRunner.CancelledCode;
        }
        finally
        {
            observer.EndPhase();
        }
        AnsiConsole.Write(new Text(markdown));
        AnsiConsole.MarkupLine($"wrote tables and plots to [green]{Markup.Escape(OutputText.DisplayPath(settings.Output))}[/]");
        return 0;
    }

    /// <summary>The options every protocol has.</summary>
    sealed class SharedOptions
    {
        readonly bool _severalShots;

        public SharedOptions(bool severalShots, bool dataRootRequired)
        {
            _severalShots = severalShots;
            DataRoot = new Option<string?>("--data-root")
            {
                Description = dataRootRequired ? "folder holding the datasets in the CoOp/Dassl layouts" : "folder holding the benchmark datasets (for benchmark names in --id/--ood)",
                Required = dataRootRequired,
                HelpName = "folder",
            };
            Shots = new Option<int[]>("--shots")
            {
                Description = severalShots ? "training images per class; several give one set of cells each" : "training images per class",
                AllowMultipleArgumentsPerToken = true,
                DefaultValueFactory = _ => severalShots && !dataRootRequired ? [16] : severalShots ? [1, 2, 4, 8, 16] : [16],
            };
        }

        public Option<string> Model { get; } = CommonOptions.Model();

        public Option<string?> Config { get; } = CommonOptions.Config();

        public Option<string?> DataRoot { get; }

        public Option<string[]> Methods { get; } = new("--method")
        {
            Description = $"methods to compare ({string.Join(", ", MethodPreset.All.Keys)})",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["maple"],
        };

        public Option<int[]> Seeds { get; } = new("--seeds") { Description = "seeds", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [1, 2, 3] };

        public Option<int[]> Shots { get; }

        public Option<string> Output { get; } = DeprecatedSpellings.Alias(
            new Option<string>("--output", "-o") { Description = "output folder (a rerun resumes from it)", Required = true, HelpName = "folder" }, "--out");

        public Option<int?> Epochs { get; } = new("--epochs") { Description = "override the presets' epochs (for a quick look; the paper's recipe when omitted)" };

        public Option<int?> Depth { get; } = new("--depth")
        {
            Description = "prompt depth of the deep presets (maple, maple-transfer, ivlp, deep-language, vpt-deep), e.g. to fit a backbone with fewer than 12 layers; the paper's depths when omitted",
        };

        public Option<int?> NCtx { get; } = new("--n-ctx") { Description = "learned text tokens of every preset that has them (MaPLe's vision tokens follow)" };

        public Option<int> EvalBatch { get; } = new("--eval-batch-size") { Description = "images per evaluation forward pass (CoCoOp always uses 1)", DefaultValueFactory = _ => 32 };

        public Option<int> LoaderThreads { get; } = new("--loader-threads") { Description = "threads decoding images", DefaultValueFactory = _ => 1 };

        public Option<string[]> Template { get; } = PromptOptions.Template($"each benchmark's own template, as the papers' zero-shot CLIP (CoOp's zsclip.py), else \"{Maple.Prompting.PromptTemplates.Default}\"");

        public Option<string[]> Templates { get; } = PromptOptions.Templates();

        public Option<string> Precision { get; } = CommonOptions.Precision();

        public Option<int> Threads { get; } = CommonOptions.Threads();

        public Option<string> Device { get; } = CommonOptions.Device();

        public Option<bool> MemorySavingBackward { get; } = CommonOptions.MemorySavingBackward();

        public Option<long> MaxImagePixels { get; } = CommonOptions.MaxImagePixels();

        public Option<string?> Tokenizer { get; } = CommonOptions.Tokenizer();

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Model, Config, DataRoot, Methods, Seeds, Shots, Output, Epochs, Depth, NCtx, Template, Templates, EvalBatch, LoaderThreads, Precision, Threads, MaxImagePixels, Tokenizer, Device, MemorySavingBackward })
                command.Options.Add(option);
        }

        public (BenchmarkSettings Settings, IReadOnlyList<int> Shots) Settings(ParseResult parse, IReadOnlyList<string> datasets)
        {
            var shots = parse.GetValue(Shots)!;
            if (shots.Length == 0 || shots.Any(k => k < 1))
                throw new UserInputException("--shots must be at least 1");
            if (!_severalShots && shots.Length > 1)
                throw new UserInputException($"--shots takes one value here (got {string.Join(" ", shots)}); several are for few-shot and ood");
            var settings = new BenchmarkSettings(parse.GetValue(DataRoot) ?? "", datasets, parse.GetValue(Methods)!, parse.GetValue(Seeds)!,
                CommonOptions.OutputFolder(parse.GetValue(Output)!))
            {
                Shots = shots[0],
                Epochs = parse.GetValue(Epochs),
                Depth = parse.GetValue(Depth),
                NCtx = parse.GetValue(NCtx),
                EvalBatchSize = parse.GetValue(EvalBatch),
                LoaderThreads = parse.GetValue(LoaderThreads),
                ZeroShotTemplates = PromptOptions.ResolveTemplates(parse, Template, Templates),
            };
            if (settings.Epochs is < 1 || settings.Depth is < 1 || settings.NCtx is < 1)
                throw new UserInputException("--epochs, --depth and --n-ctx must be at least 1");
            return (settings, shots);
        }
    }

    /// <summary>
    /// A line per cell as it starts and ends, and a <see cref="ProgressDisplay"/> for each phase of the cell (training,
    /// evaluation of a subset, OOD scoring).
    /// </summary>
    sealed class Observer : IBenchmarkObserver
    {
        string _cell = "";
        string _title = "";
        string _phase = "";
        ProgressDisplay? _display;

        public void CellStarted(CellKey cell, int index, int total, bool reused)
        {
            EndPhase();
            _cell = $"{cell.Method} / {cell.Dataset} / seed {cell.Seed} / {cell.Shots} shots";
            _title = $"cell {index + 1}/{total}";
            AnsiConsole.MarkupLine(Markup.Escape($"{_title}: {_cell}{(reused ? " (done before)" : "")}"));
        }

        public void Training(TrainingProgress p) => Show("training", p.TotalSteps, p.GlobalStep, string.Create(CultureInfo.InvariantCulture,
            $"training epoch {p.Epoch + 1}, step {p.Step + 1}/{p.StepsPerEpoch}, loss {p.Loss:F3}, acc {100 * p.Accuracy:F0}%, lr {p.LearningRate:G3}, {p.ImagesPerSecond:F1} img/s"));

        public void Evaluating(string subset, EvaluationProgress p) => Show($"eval {subset}", p.Total, p.Done, string.Create(CultureInfo.InvariantCulture,
            $"eval {subset} {p.Done}/{p.Total}, accuracy {100.0 * p.Correct / Math.Max(1, p.Done):F1}%, {p.ImagesPerSecond:F1} img/s"));

        public void Scoring(OodProgress p) => Show($"score {p.Set}", p.Total, p.Done, string.Create(CultureInfo.InvariantCulture,
            $"score {p.Set} {p.Done}/{p.Total}, {p.ImagesPerSecond:F1} img/s"));

        public void CellFinished(CellResult result)
        {
            EndPhase();
            var scores = result.Scores.Count <= 4 ? result.Scores : result.Scores.Where(s => s.Key.StartsWith(OodBenchmarkReport.Average + "/", StringComparison.Ordinal));
            AnsiConsole.MarkupLine(Markup.Escape($"{_cell}: " + string.Join(", ",
                scores.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value:F2}")))));
        }

        /// <summary>Ends the display of the current phase, leaving its last state shown.</summary>
        public void EndPhase()
        {
            _display?.Finish();
            (_display, _phase) = (null, "");
        }

        void Show(string phase, double total, double done, string figures)
        {
            if (phase != _phase)
            {
                EndPhase();
                (_display, _phase) = (ProgressDisplay.ForStandardOutput(_title, total), phase);
            }
            _display!.Update(done, figures);
        }
    }
}
