using System.CommandLine;
using System.Globalization;
using Maple.Data;
using Maple.Evaluation;
using Maple.Prompting;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple zeroshot</c>: classify images with plain CLIP and hand-written prompts.</summary>
static class ZeroShotCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var config = CommonOptions.Config();
        var classes = CommonOptions.ClassesFile("class names, one per line");
        var classNames = CommonOptions.ClassName();
        var images = CommonOptions.Images(required: false);
        var oldImages = DeprecatedSpellings.Hidden("the image files and folders as arguments", "--images", "-i");
        var template = PromptOptions.Template($"\"{PromptTemplates.Default}\"");
        var templates = PromptOptions.Templates();
        var top = new Option<int>("--top", "-k") { Description = "classes to show per image", DefaultValueFactory = _ => 5 };
        var output = new Option<string?>("--output", "-o") { Description = "also write every image's logits, probabilities and top classes (.json or .csv)", HelpName = "file" };
        var batch = new Option<int>("--batch-size") { Description = "images per forward pass", DefaultValueFactory = _ => 32 };
        var loaderThreads = new Option<int>("--loader-threads") { Description = "threads decoding images", DefaultValueFactory = _ => 1 };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var tokenizer = CommonOptions.Tokenizer();

        var command = new Command("zeroshot", "Classify images zero-shot with CLIP and prompt templates (no learned prompts).")
        {
            model, config, classes, classNames, images, oldImages, template, templates, top, output, batch, loaderThreads, precision, threads, maxImagePixels, tokenizer, device,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            // Everything that can be checked without the model is checked first: loading it can take a while.
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            var names = CommonOptions.ResolveClasses(parse.GetValue(classes), parse.GetValue(classNames));
            var templateList = PromptOptions.ResolveTemplates(parse, template, templates) ?? [PromptTemplates.Default];
            var k = parse.GetValue(top);
            var outputPath = parse.GetValue(output) is { } o ? CommonOptions.OutputFile(o, ".json", ".csv") : null;
            var paths = CommonOptions.ImageFiles(parse, images, oldImages);
            var batchSize = parse.GetValue(batch);

            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!);
            var prompts = names.Count * templateList.Count;
            using var classifier = prompts > PromptedClip.DefaultTextBatchSize
                ? ProgressDisplay.Run($"encoding {prompts} prompts", prompts, update =>
                    new ZeroShotClassifier(clip, names, templateList, PromptedClip.DefaultTextBatchSize, new BatchProgressReporter(update, "prompts"), cancellation))
                : new ZeroShotClassifier(clip, names, templateList, PromptedClip.DefaultTextBatchSize, cancellation: cancellation);

            var predictions = paths.Count > batchSize
                ? ProgressDisplay.Run("classifying", paths.Count, update =>
                    classifier.Classify(paths, k, batchSize, parse.GetValue(loaderThreads), new BatchProgressReporter(update, "images"), cancellation))
                : classifier.Classify(paths, k, batchSize, parse.GetValue(loaderThreads), cancellation: cancellation);

            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[grey]{paths.Count} images, {names.Count} classes, {templateList.Count} template(s), e.g. \"{Markup.Escape(classifier.Prompts(0)[0])}\"[/]"));
            AnsiConsole.Write(Table(predictions));
            if (outputPath is not null)
            {
                new ZeroShotReport(clip.Source, names, templateList, predictions) { Precision = clip.Model.PrecisionChoice }.Write(outputPath);
                OutputText.Wrote(outputPath);
            }
            return 0;
        });
        return command;
    }

    /// <summary>Each image's best classes, one row per class.</summary>
    internal static Table Table(IReadOnlyList<ZeroShotPrediction> predictions)
    {
        var table = new Table().AddColumns("image", "#", "class", "probability");
        foreach (var p in predictions)
        {
            for (var i = 0; i < p.Top.Count; i++)
            {
                table.AddRow(i == 0 ? Markup.Escape(p.Path ?? "") : "", (i + 1).ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(p.Top[i].ClassName), p.Top[i].Probability.ToString("P2", CultureInfo.InvariantCulture));
            }
        }
        return table;
    }
}
