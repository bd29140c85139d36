using System.CommandLine;
using System.Globalization;
using Maple.Demo;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary>
/// <c>maple demo</c>: builds a small world of rendered shapes, pretrains a small CLIP on it (once: the model
/// is cached), and runs zero-shot CLIP, CoOp, MaPLe, PromptSRC and MMRL under the base-to-novel protocol.
/// </summary>
static class DemoCommand
{
    public static Command Create()
    {
        var seeds = new Option<long[]>("--seeds", "--seed")
        {
            Description = "seeds of the few-shot training images and the prompts' initialisation; the tables give mean ± std over them",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [.. DemoRunner.PaperSeeds],
        };
        var pretrainSeed = new Option<long>("--pretrain-seed") { Description = "seed of the small CLIP's pretraining (its images, initialisation and batches); each seed is cached apart", DefaultValueFactory = _ => 1 };
        var quick = new Option<bool>("--quick") { Description = "a reduced run (tiny model, few images and steps) that checks the pipeline in seconds; its numbers mean little" };
        var cache = new Option<string?>("--cache") { Description = $"where the pretrained demo model is kept (default: {DemoModelCache.DefaultRoot})" };
        var output = new Option<string>("--output", "-o") { Description = "folder for the rendered images, learned prompts and results", DefaultValueFactory = _ => "maple-demo", HelpName = "folder" };
        var threads = CommonOptions.Threads();

        var command = new Command("demo", "Run the paper's base-to-novel comparison (zero-shot CLIP, CoOp, MaPLe, PromptSRC, MMRL) on a built-in world of rendered shapes, with a small CLIP pretrained on it.")
        {
            seeds, pretrainSeed, quick, cache, output, threads,
        };
        command.SetAction((parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var settings = parse.GetValue(quick) ? DemoSettings.Quick : DemoSettings.Full;
            settings = settings with { Pretraining = settings.Pretraining with { Seed = parse.GetValue(pretrainSeed) } };
            var runner = new DemoRunner(settings, CommonOptions.OutputFolder(parse.GetValue(output)!), parse.GetValue(seeds), parse.GetValue(cache));
            var world = DemoWorld.Default;
            AnsiConsole.MarkupLine(Markup.Escape(
                $"demo world: {world.Classes.Count} classes ({world.Colours.Count} colours × {world.Shapes.Count} shapes), " +
                $"{world.BaseClasses.Count} base and {world.NovelClasses.Count} novel; {settings.Shots} shots per base class"));

            var result = AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(context => runner.Run(new StageBars(context), cancellation));

            var summary = result.Summary;
            var seedsText = string.Join(", ", summary.Seeds.Select(s => s.Seed));
            var table = new Table().Title(Markup.Escape($"base-to-novel, mean ± std over seeds {seedsText}")).AddColumns(DemoTable.Columns.Select(c => new TableColumn(c)).ToArray());
            foreach (var row in summary.Rows)
                table.AddRow(Markup.Escape(row.Method), Markup.Escape(row.Base.ToString()), Markup.Escape(row.Novel.ToString()), Markup.Escape(DemoSummary.HarmonicMeanText(row)));
            AnsiConsole.Write(table);
            var perSeed = new Table().Title("per seed").AddColumns(["Seed", .. DemoTable.Columns]);
            foreach (var seedResult in summary.Seeds)
                foreach (var row in seedResult.Table.Rows)
                    perSeed.AddRow(seedResult.Seed.ToString(CultureInfo.InvariantCulture), Markup.Escape(row.Method), Percent(row.Base), Percent(row.Novel), Percent(row.HarmonicMean));
            AnsiConsole.Write(perSeed);
            AnsiConsole.MarkupLine(Markup.Escape(summary.PatternText()));
            var oodTable = new Table().Title(Markup.Escape($"OOD: base classes (ID) vs unseen shapes, mean ± std over seeds {seedsText}")).AddColumns(DemoOodTable.Columns.Select(c => new TableColumn(c)).ToArray());
            foreach (var row in summary.OodRows)
                oodTable.AddRow(Markup.Escape(row.Method), Markup.Escape(row.Score), Markup.Escape(row.Auroc.ToString()), Markup.Escape(row.Fpr95.ToString()));
            AnsiConsole.Write(oodTable);
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{(result.PretrainedNow ? "pretrained" : "reused")} model {result.ModelFolder} (use it with --model); {result.Elapsed.TotalSeconds:F0} s in all")));
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(OutputText.DisplayPath(Path.Combine(result.OutputFolder, "results.json")))}[/], [green]{Markup.Escape(OutputText.DisplayPath(Path.Combine(result.OutputFolder, "results.md")))}[/] and plots");
            return Task.FromResult(0);
        });
        return command;
    }

    static string Percent(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>One bar per stage, updated on the reporting thread.</summary>
    sealed class StageBars(ProgressContext context) : IProgress<DemoProgress>
    {
        readonly Lock _gate = new();
        ProgressTask? _task;
        string? _stage;

        public void Report(DemoProgress p)
        {
            lock (_gate)
            {
                if (p.Stage != _stage)
                {
                    if (_task is not null)
                        _task.Value = _task.MaxValue;
                    _task = context.AddTask(Markup.Escape(p.Stage), maxValue: Math.Max(1, p.Total));
                    _stage = p.Stage;
                }
                _task!.MaxValue = Math.Max(1, p.Total);
                _task.Value = p.Done;
                _task.Description = Markup.Escape(p.Message);
            }
        }
    }
}
