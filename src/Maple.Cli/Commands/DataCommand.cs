using System.CommandLine;
using System.Globalization;
using Maple.Data;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple data</c>: looks at datasets before training (<c>inspect</c>) and lists the benchmarks (<c>list</c>).</summary>
static class DataCommand
{
    /// <summary>Exit code of <c>inspect</c> when it found problems.</summary>
    public const int ProblemsFound = 2;

    /// <summary>The command; output goes to <paramref name="console"/> (the terminal when null).</summary>
    public static Command Create(IAnsiConsole? console = null) => new("data", "Inspect datasets and list the benchmark layouts.")
    {
        Inspect(console),
        List(console),
    };

    static Command Inspect(IAnsiConsole? console)
    {
        var data = new Argument<string?>("data") { Description = "an image folder or a CoOp/Dassl split JSON (or use --data-root with --dataset)", Arity = ArgumentArity.ZeroOrOne };
        var dataOption = new Option<string?>("--data", "-d") { Description = "the same as the argument, spelled as train and eval spell it", HelpName = "folder|split" };
        var dataRoot = new Option<string?>("--data-root") { Description = "folder holding the benchmark datasets in CoOp's layout" };
        var dataset = new Option<string?>("--dataset") { Description = $"benchmark under --data-root: {string.Join(", ", BenchmarkDatasets.Names)}" };
        var split = new Option<string?>("--split") { Description = "inspect only this split (default: every split)" };
        var imageRoot = new Option<string?>("--image-root") { Description = "folder a split file's paths are relative to" };
        var classes = CommonOptions.ClassesFile("class names, one per line (line i = label i)");
        var verify = new Option<string>("--verify") { Description = "check every image: header (fast), decode (finds truncated files) or none", DefaultValueFactory = _ => "header" };
        verify.AcceptOnlyFromAmong("header", "decode", "none");
        var sizeSample = new Option<int>("--size-sample") { Description = "images whose header gives the size summary", DefaultValueFactory = _ => 200 };
        var threads = new Option<int>("--threads") { Description = "files checked at once", DefaultValueFactory = _ => Environment.ProcessorCount };
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var maxListed = new Option<int>("--max-listed") { Description = "classes and problems of each kind listed (0 = all)", DefaultValueFactory = _ => 20 };

        var command = new Command("inspect", $"Print a dataset's classes, counts per split, image sizes and problems (exit code {ProblemsFound} when it finds problems).")
        {
            data, dataOption, dataRoot, dataset, split, imageRoot, classes, verify, sizeSample, threads, maxImagePixels, maxListed,
        };
        command.SetAction((parse, cancellation) =>
        {
            var ui = console ?? AnsiConsole.Console;
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            if (parse.GetValue(data) is not null && parse.GetValue(dataOption) is not null)
                throw new UserInputException("give the data once: as the argument or as --data");
            var (dataPath, root, name) = (parse.GetValue(data) ?? parse.GetValue(dataOption), parse.GetValue(dataRoot), parse.GetValue(dataset));
            DataOptions.RequireData(dataPath, root, name);
            var splits = parse.GetValue(split) is { } one ? [one] : DatasetSource.SplitNames(dataPath, root, name);
            var options = new InspectOptions
            {
                Verify = parse.GetValue(verify) switch { "decode" => ImageCheck.Decode, "none" => null, _ => ImageCheck.Header },
                SizeSample = parse.GetValue(sizeSample),
                MaxParallelism = Math.Max(1, parse.GetValue(threads)),
            };
            ImageDataset Open(string s) => DatasetSource.Open(dataPath, s, parse.GetValue(imageRoot), parse.GetValue(classes), root, name, allowEmptyClasses: true);

            var title = name is not null ? $"{BenchmarkDatasets.Resolve(name).Name} at {BenchmarkDatasets.FindFolder(root ?? dataPath ?? ".", name)}" : dataPath ?? "";
            var report = RunWithProgress(ui, progress => DatasetInspector.Inspect(splits, Open, options, progress, cancellation));
            Print(ui, title, report, options, parse.GetValue(maxListed));
            return Task.FromResult(report.Problems.Count == 0 ? 0 : ProblemsFound);
        });
        return command;
    }

    static Command List(IAnsiConsole? console)
    {
        var dataRoot = new Option<string?>("--data-root") { Description = "also say which datasets are present under this folder" };
        var command = new Command("list", "List the benchmark datasets, their folders in CoOp's layout and their splits.") { dataRoot };
        command.SetAction(parse =>
        {
            var ui = console ?? AnsiConsole.Console;
            var root = parse.GetValue(dataRoot);
            var table = new Table().AddColumns("dataset", "layout under the data root", "splits");
            if (root is not null)
                table.AddColumn("present");
            foreach (var info in BenchmarkDatasets.All)
            {
                var row = new List<string> { info.Name, info.Layout, string.Join(", ", info.Splits) };
                if (root is not null)
                    row.Add(Present(root, info.Name));
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }
            ui.Write(table);
            return 0;
        });
        return command;
    }

    static string Present(string root, string name)
    {
        try
        {
            return BenchmarkDatasets.FindFolder(root, name);
        }
        catch (DirectoryNotFoundException)
        {
            return "-";
        }
    }

    static DatasetReport RunWithProgress(IAnsiConsole ui, Func<IProgress<InspectProgress>?, DatasetReport> work)
    {
        if (!ui.Profile.Capabilities.Interactive)
            return work(null);
        return ui.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("reading splits", maxValue: 1);
                return work(new Progress(task));
            });
    }

    static void Print(IAnsiConsole ui, string title, DatasetReport report, InspectOptions options, int maxListed)
    {
        var limit = maxListed <= 0 ? int.MaxValue : maxListed;
        ui.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
        foreach (var s in report.Splits)
            ui.MarkupLine($"  {Markup.Escape(s.Name)}: {Markup.Escape(s.Source)}");

        var names = report.ClassNames;
        var shown = string.Join(", ", names.Take(Math.Min(limit, names.Count)));
        ui.MarkupLine(Markup.Escape($"{names.Count} classes: {shown}{(names.Count > limit ? $", ... ({names.Count - limit} more)" : "")}"));

        var splits = new Table().AddColumns("split", "images", "classes with images", "per class min / median / max");
        foreach (var s in report.Splits)
        {
            var counts = s.PerClass.Order().ToList();
            var median = counts.Count == 0 ? 0 : counts[counts.Count / 2];
            var nonEmpty = s.PerClass.Count(c => c > 0);
            var perClass = counts.Count == 0 ? "-" : $"{counts[0]} / {median} / {counts[^1]}";
            splits.AddRow(Markup.Escape(s.Name + (s.SameAs is null ? "" : $" (= {s.SameAs})")), Number(s.Images), Number(nonEmpty), perClass);
        }
        ui.Write(splits);

        var perClassTable = new Table().AddColumn("label").AddColumn("class");
        foreach (var s in report.Splits)
            perClassTable.AddColumn(new TableColumn(Markup.Escape(s.Name)).RightAligned());
        for (var label = 0; label < Math.Min(limit, names.Count); label++)
        {
            var row = new List<string> { label.ToString(CultureInfo.InvariantCulture), Markup.Escape(names[label]) };
            row.AddRange(report.Splits.Select(s => label < s.PerClass.Count ? Number(s.PerClass[label]) : "-"));
            perClassTable.AddRow(row.ToArray());
        }
        ui.Write(perClassTable);
        if (names.Count > limit)
            ui.MarkupLine(Markup.Escape($"... {names.Count - limit} more classes (--max-listed 0 lists all)"));

        if (report.Sizes is { } z)
        {
            var common = string.Join(", ", z.MostCommon.Select(c => $"{c.Width}x{c.Height} ({c.Count})"));
            var formats = string.Join(", ", z.Formats.Select(f => $"{f.Key} {f.Value}"));
            ui.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"image sizes ({z.Sampled} headers sampled): width {z.MinWidth}-{z.MaxWidth}, height {z.MinHeight}-{z.MaxHeight}; most common {common}; {formats}")));
        }

        var checkedHow = options.Verify switch
        {
            ImageCheck.Header => "every image's header read",
            ImageCheck.Decode => "every image decoded",
            _ => "files checked to exist, images not read",
        };
        if (report.Problems.Count == 0)
        {
            ui.MarkupLine($"[green]no problems[/] ({checkedHow})");
            return;
        }
        ui.MarkupLine($"[red]{report.Problems.Count} problem(s)[/] ({checkedHow}):");
        foreach (var group in report.Problems.GroupBy(p => p.Kind))
        {
            var list = group.ToList();
            ui.MarkupLine($"  [bold]{Markup.Escape(Describe(group.Key))}[/] ({list.Count}):");
            foreach (var p in list.Take(limit))
                ui.MarkupLine($"    {Markup.Escape(p.Message)}");
            if (list.Count > limit)
                ui.MarkupLine(Markup.Escape($"    ... {list.Count - limit} more (--max-listed 0 lists all)"));
        }
    }

    static string Describe(ProblemKind kind) => kind switch
    {
        ProblemKind.LoadError => "splits that cannot be read",
        ProblemKind.MissingFile => "missing files",
        ProblemKind.UnreadableFile => "unreadable images",
        ProblemKind.EmptyClass => "empty classes",
        ProblemKind.DuplicatePath => "images listed twice",
        ProblemKind.SharedBetweenSplits => "images in two splits",
        ProblemKind.SameContent => "files with the same bytes (SHA-256)",
        _ => kind.ToString(),
    };

    static string Number(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    sealed class Progress(ProgressTask task) : IProgress<InspectProgress>
    {
        public void Report(InspectProgress p)
        {
            task.Description = Markup.Escape(p.Stage);
            task.MaxValue = Math.Max(1, p.Total);
            task.Value = p.Done;
        }
    }
}
