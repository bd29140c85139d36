using System.CommandLine;
using System.Globalization;
using Maple.Evaluation.Ood;
using Maple.Prompting;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple ood</c>: how well learned prompts (or zero-shot CLIP) tell in-distribution images from OOD ones.</summary>
static class OodCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var config = CommonOptions.Config();
        var prompts = PromptOptions.Prompts();
        var ctxInit = PromptOptions.CtxInit();
        var id = new Option<string>("--id") { Description = "in-distribution images: an image folder or a CoOp/Dassl split JSON", Required = true };
        var idClasses = DeprecatedSpellings.Alias(CommonOptions.ClassesFile("ID class names, one per line (line i = label i); default: the ID data's names"), "--id-classes");
        var ood = new Option<string[]>("--ood")
        {
            Description = "OOD sets: image folders (class sub-folders or flat; labels are ignored) or split JSONs",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var split = new Option<string>("--split") { Description = "split of split files", DefaultValueFactory = _ => "test" };
        var score = new Option<string>("--score") { Description = $"OOD score: {string.Join(", ", OodScores.Names)}", DefaultValueFactory = _ => "mcm" };
        var temperature = new Option<double>("--temperature", "-T")
        {
            Description = "temperature: of the cosines for mcm/glmcm, of the logits for energy",
            DefaultValueFactory = _ => 1,
        };
        var lambda = new Option<double>("--lambda") { Description = "weight of GL-MCM's local term", DefaultValueFactory = _ => 0.5 };
        var output = new Option<string>("--output", "-o")
        {
            Description = "results JSON (ROC curves and score histograms are written beside it as PNG)",
            DefaultValueFactory = _ => "ood.json",
            HelpName = "file",
        };
        var batch = new Option<int>("--batch-size") { Description = "images per forward pass", DefaultValueFactory = _ => 32 };
        var loaderThreads = new Option<int>("--loader-threads") { Description = "threads decoding images", DefaultValueFactory = _ => 1 };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var tokenizer = CommonOptions.Tokenizer();

        var command = new Command("ood", "Score OOD detection (AUROC, AUPR, FPR95) of learned prompts or zero-shot CLIP against an ID class set.")
        {
            model, config, prompts, ctxInit, id, idClasses, ood, split, score, temperature, lambda, output, batch, loaderThreads, precision, threads, maxImagePixels, tokenizer, device,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            var options = new OodScoreOptions(OodScores.Parse(parse.GetValue(score)!), parse.GetValue(temperature), parse.GetValue(lambda));
            CommonOptions.NamingFlags(options.Validate);
            var outputPath = CommonOptions.OutputFile(parse.GetValue(output)!, ".json");
            var promptsPath = PromptOptions.ResolvePath(parse.GetValue(prompts));
            var idData = OodData.Open(parse.GetValue(id)!, parse.GetValue(split)!, parse.GetValue(idClasses));
            var oodSets = OodData.OpenAll(parse.GetValue(ood)!, parse.GetValue(split)!);
            if (oodSets.Count == 0)
                throw new UserInputException("--ood needs at least one dataset");

            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!);
            using var learner = PromptOptions.Load(promptsPath, parse.GetValue(ctxInit)!, clip);
            using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, idData.ClassNames);

            var total = idData.Items.Count + oodSets.Sum(s => s.Data.Items.Count);
            var result = ProgressDisplay.Run("scoring", total, update =>
                OodEvaluation.Run(prompted, idData, oodSets, options, parse.GetValue(batch), parse.GetValue(loaderThreads),
                    new Progress(update, [idData.Items.Count, .. oodSets.Select(s => s.Data.Items.Count)]), cancellation));

            var context = new Dictionary<string, string>
            {
                ["model"] = clip.Source,
                ["prompts"] = promptsPath ?? "(zero-shot)",
                ["method"] = PromptMethods.Name(learner.Config.Method),
                ["precision"] = clip.Model.PrecisionChoice.ToString(),
                ["prompt_example"] = prompted.PromptTexts[0],
            };
            var written = OodReport.Write(outputPath, result, context);

            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{OodScores.Name(options.Score)} score, ID: {result.IdScores.Length} images of {idData.ClassNames.Count} classes ({idData.Source})")));
            AnsiConsole.Write(Table(result));
            OutputText.Wrote(written);
            return 0;
        });
        return command;
    }

    static Table Table(OodEvaluationResult result)
    {
        var table = new Table().AddColumn("OOD set").AddColumn(new TableColumn("images").RightAligned())
            .AddColumn(new TableColumn("AUROC ↑").RightAligned()).AddColumn(new TableColumn("AUPR ↑").RightAligned())
            .AddColumn(new TableColumn("FPR95 ↓").RightAligned());
        foreach (var set in result.Sets)
            table.AddRow(Row(set.Name, set.Metrics));
        var average = result.Average;
        table.AddRow(Row("[bold]average[/]", average, markup: true, count: result.Sets.Sum(s => s.Scores.Length)));
        return table;
    }

    static string[] Row(string name, OodMetrics m, bool markup = false, long? count = null) =>
    [
        markup ? name : Markup.Escape(name),
        (count ?? m.OodCount).ToString(CultureInfo.InvariantCulture),
        (100 * m.Auroc).ToString("F2", CultureInfo.InvariantCulture),
        (100 * m.Aupr).ToString("F2", CultureInfo.InvariantCulture),
        (100 * m.Fpr95).ToString("F2", CultureInfo.InvariantCulture),
    ];

    /// <summary>Shows the images scored over all sets, and the current set's progress.</summary>
    sealed class Progress(Action<double, string> update, int[] setSizes) : IProgress<OodProgress>
    {
        int _set = -1;
        int _before;
        int _done;
        string? _name;

        public void Report(OodProgress p)
        {
            if (p.Set != _name || p.Done <= _done)
            {
                if (_set >= 0)
                    _before += setSizes[_set];
                _set++;
            }
            (_done, _name) = (p.Done, p.Set);
            update(_before + p.Done, string.Create(CultureInfo.InvariantCulture,
                $"{p.Set}: {p.Done}/{p.Total} images, {p.ImagesPerSecond:F1} img/s"));
        }
    }
}
