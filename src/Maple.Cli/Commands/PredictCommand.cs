using System.CommandLine;
using System.Globalization;
using Maple.Evaluation;
using Maple.Prompting;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple predict</c>: the top-k classes of image files and folders under learned prompts.</summary>
static class PredictCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var config = CommonOptions.Config();
        var prompts = PromptOptions.Prompts();
        var ctxInit = PromptOptions.CtxInit();
        var classes = CommonOptions.ClassesFile("class names, one per line (default: the classes the prompts were trained on)");
        var classNames = CommonOptions.ClassName();
        var top = new Option<int>("--top", "-k") { Description = "classes to show per image", DefaultValueFactory = _ => 5 };
        var output = new Option<string?>("--output", "-o") { Description = "also write every image's logits, probabilities and top classes (.json or .csv)", HelpName = "file" };
        var images = CommonOptions.Images(required: true);
        var batch = new Option<int>("--batch-size") { Description = "images per forward pass", DefaultValueFactory = _ => 32 };
        var loaderThreads = new Option<int>("--loader-threads") { Description = "threads decoding images", DefaultValueFactory = _ => 1 };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var tokenizer = CommonOptions.Tokenizer();
        var mmrlLogits = PromptOptions.MmrlLogits();

        var command = new Command("predict", "Classify image files and folders with learned prompts (or zero-shot CLIP).")
        {
            model, config, prompts, ctxInit, classes, classNames, top, output, images, batch, loaderThreads, precision, threads, maxImagePixels, tokenizer, mmrlLogits, device,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            // Everything that can be checked without the model is checked first: loading it can take a while.
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            var outputPath = parse.GetValue(output) is { } o ? CommonOptions.OutputFile(o, ".json", ".csv") : null;
            var promptsPath = PromptOptions.ResolvePath(parse.GetValue(prompts));
            var names = CommonOptions.ResolveClasses(parse.GetValue(classes), parse.GetValue(classNames), promptsPath, parse.GetValue(ctxInit)!);
            var paths = CommonOptions.ImageFiles(parse, images);
            var batchSize = parse.GetValue(batch);

            var readout = PromptOptions.ParseMmrlLogits(parse.GetValue(mmrlLogits)!);
            using var clip = new ClipBackbone(await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation,
                parse.GetValue(config), parse.GetValue(device)!));
            // The library's classifier, as any program would use it: MMRL prompts read out as their authors do unless told.
            using var classifier = promptsPath is null ? clip.ZeroShot(names) : clip.LoadClassifier(promptsPath, names, readout, parse.GetValue(ctxInit)!);
            var prompted = classifier.Prompted;
            var k = parse.GetValue(top);
            var predictions = paths.Count > batchSize
                ? ProgressDisplay.Run("classifying", paths.Count, update =>
                    classifier.Predict(paths, k, batchSize, parse.GetValue(loaderThreads), new BatchProgressReporter(update, "images"), cancellation))
                : classifier.Predict(paths, k, batchSize, parse.GetValue(loaderThreads), cancellation: cancellation);

            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[grey]{paths.Count} images, {names.Count} classes, {Markup.Escape(PromptMethods.Name(classifier.Method))} prompts{MmrlNote(classifier)}, e.g. \"{Markup.Escape(prompted.PromptTexts[0])}\"[/]"));
            AnsiConsole.Write(ZeroShotCommand.Table(predictions));
            if (outputPath is not null)
            {
                new ZeroShotReport(clip.Source, names, prompted.Templates, predictions)
                {
                    Precision = clip.Pretrained.Model.PrecisionChoice,
                    Prompts = promptsPath ?? "(zero-shot)",
                }.Write(outputPath);
                AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(outputPath)}[/]");
            }
            return 0;
        });
        return command;
    }

    /// <summary>Which of MMRL's logits classified, in the words of <c>--mmrl-logits</c>.</summary>
    static string MmrlNote(ImageClassifier classifier) => classifier.Method == PromptMethod.Mmrl
        ? $" ({PromptOptions.MmrlLogitsName(classifier.Readout)} logits)"
        : "";
}
