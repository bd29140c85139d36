using System.CommandLine;
using System.Globalization;
using Maple.Evaluation;
using Maple.Evaluation.Protocols;
using Maple.Training;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple benchmark</c>: the paper's protocols over the CoOp/Dassl datasets, resumable cell by cell.</summary>
static class BenchmarkCommand
{
    public static Command Create()
    {
        var command = new Command("benchmark", "Run the paper's protocols (base-to-novel, cross-dataset, domain generalisation, few-shot) and write its tables.");
        command.Subcommands.Add(Protocol("base2novel", "Train on the base half of each dataset's classes (16 shots); score base and novel; report HM.",
            (runner, _, ct) => runner.BaseToNovel(ct)));
        command.Subcommands.Add(Protocol("cross-dataset", "Train on ImageNet (all classes, 16 shots); score the ten other datasets.",
            (runner, _, ct) => runner.CrossDataset(ct)));
        command.Subcommands.Add(Protocol("domain-generalization", "Score the ImageNet-trained prompts on ImageNet-V2, -Sketch, -A and -R.",
            (runner, _, ct) => runner.DomainGeneralization(ct)));
        command.Subcommands.Add(Protocol("few-shot", "Train on all classes with K shots for each --shots K; score the test sets.",
            (runner, shots, ct) => runner.FewShotLearning(shots, ct)));
        return command;
    }

    static Command Protocol(string name, string description, Func<BenchmarkRunner, IReadOnlyList<int>, CancellationToken, BenchmarkReport> run)
    {
        var model = CommonOptions.Model();
        var dataRoot = new Option<string>("--data-root") { Description = "folder holding the datasets in the CoOp/Dassl layouts", Required = true };
        var datasets = new Option<string[]>("--datasets") { Description = "datasets to score, or 'all' (the protocol's own list)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["all"] };
        var methods = new Option<string[]>("--method") { Description = $"methods to compare ({string.Join(", ", MethodPreset.All.Keys)})", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["maple"] };
        var seeds = new Option<int[]>("--seeds") { Description = "seeds", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [1, 2, 3] };
        var shots = new Option<int[]>("--shots") { Description = "training images per class (few-shot: several)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => name == "few-shot" ? [1, 2, 4, 8, 16] : [16] };
        var output = new Option<string>("--out", "-o") { Description = "output folder (a rerun resumes from it)", Required = true };
        var epochs = new Option<int?>("--epochs") { Description = "override the presets' epochs (for a quick look; the paper's recipe when omitted)" };
        var batch = new Option<int>("--eval-batch-size") { Description = "images per evaluation forward pass", DefaultValueFactory = _ => 32 };
        var loaderThreads = new Option<int>("--loader-threads") { Description = "threads decoding images", DefaultValueFactory = _ => 1 };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var tokenizer = CommonOptions.Tokenizer();

        var command = new Command(name, description) { model, dataRoot, datasets, methods, seeds, shots, output, epochs, batch, loaderThreads, precision, threads, tokenizer };
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var shotList = parse.GetValue(shots)!;
            var settings = new BenchmarkSettings(parse.GetValue(dataRoot)!, parse.GetValue(datasets)!, parse.GetValue(methods)!, parse.GetValue(seeds)!, parse.GetValue(output)!)
            {
                Shots = shotList[0],
                Epochs = parse.GetValue(epochs),
                EvalBatchSize = parse.GetValue(batch),
                LoaderThreads = parse.GetValue(loaderThreads),
            };
            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation);
            var report = AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var observer = new Observer(context.AddTask("cells"), context.AddTask("current cell"));
                    return run(new BenchmarkRunner(clip, settings, observer), shotList, cancellation);
                });
            AnsiConsole.Write(new Markup(Markup.Escape(report.ToMarkdown())));
            AnsiConsole.MarkupLine($"tables and plots written to [green]{Markup.Escape(settings.Output)}[/]");
            return 0;
        });
        return command;
    }

    /// <summary>One bar for the cells, one for the current cell's training or evaluation.</summary>
    sealed class Observer(ProgressTask cells, ProgressTask current) : IBenchmarkObserver
    {
        string _cell = "";

        public void CellStarted(CellKey cell, int index, int total, bool reused)
        {
            _cell = $"{cell.Method} / {cell.Dataset} / seed {cell.Seed} / {cell.Shots} shots";
            cells.MaxValue = total;
            cells.Value = index;
            cells.Description = Markup.Escape($"cell {index + 1}/{total}: {_cell}{(reused ? " (done before)" : "")}");
        }

        public void Training(TrainingProgress p)
        {
            current.MaxValue = p.TotalSteps;
            current.Value = p.GlobalStep;
            current.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"train epoch {p.Epoch + 1} loss {p.Loss:F3} acc {100 * p.Accuracy:F0}% lr {p.LearningRate:G3} {p.ImagesPerSecond:F1} img/s"));
        }

        public void Evaluating(string subset, EvaluationProgress p)
        {
            current.MaxValue = p.Total;
            current.Value = p.Done;
            current.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"eval {subset}: {p.Done}/{p.Total}, accuracy {100.0 * p.Correct / Math.Max(1, p.Done):F1}%, {p.ImagesPerSecond:F1} img/s"));
        }

        public void CellFinished(CellResult result)
        {
            cells.Increment(1);
            AnsiConsole.MarkupLine(Markup.Escape($"{_cell}: " + string.Join(", ",
                result.Scores.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value:F2}")))));
        }
    }
}
