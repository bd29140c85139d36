using System.CommandLine;
using System.Globalization;
using Maple.Data;
using Maple.Evaluation;
using Spectre.Console;
using static TorchSharp.torch;

namespace Maple.Cli.Commands;

/// <summary><c>maple embed</c>: CLIP features of images and texts, to a safetensors file.</summary>
static class EmbedCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var config = CommonOptions.Config();
        var prompts = PromptOptions.Prompts();
        prompts.Description = "learned prompts to compute the features under (a run folder or prompts file): images through their vision prompts, "
            + "each text worded as a class name by them; omit for plain CLIP";
        var ctxInit = PromptOptions.CtxInit();
        var images = CommonOptions.Images(required: false);
        var oldImages = DeprecatedSpellings.Hidden("the image files and folders as arguments", "--images", "-i");
        var texts = new Option<string[]>("--text") { Description = "a text to embed; repeat the flag for each text", HelpName = "text" };
        var oldTexts = DeprecatedSpellings.Hidden("--text for each text, or --texts-file", "--texts", "-t");
        var textsFile = new Option<string?>("--texts-file") { Description = "a file of texts to embed, one per line", HelpName = "file" };
        var output = new Option<string>("--output", "-o") { Description = "the safetensors file to write (image_features, text_features)", Required = true, HelpName = "file" };
        var normalize = new Option<bool>("--normalize") { Description = "L2-normalise every feature vector" };
        var batch = new Option<int>("--batch-size") { Description = "images per forward pass", DefaultValueFactory = _ => 32 };
        var loaderThreads = new Option<int>("--loader-threads") { Description = "threads decoding images", DefaultValueFactory = _ => 1 };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var tokenizer = CommonOptions.Tokenizer();

        var command = new Command("embed", "Write CLIP image and/or text features to a safetensors file.")
        {
            model, config, prompts, ctxInit, images, oldImages, texts, oldTexts, textsFile, output, normalize, batch, loaderThreads, precision, threads, maxImagePixels, tokenizer, device,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            var outputPath = CommonOptions.OutputFile(parse.GetValue(output)!);
            var textList = ResolveTexts([.. parse.GetValue(texts) ?? [], .. parse.GetValue(oldTexts) ?? []], parse.GetValue(textsFile));
            var anyImage = (parse.GetValue(images) ?? []).Length + (parse.GetValue(oldImages) ?? []).Length > 0;
            if (!anyImage && textList.Count == 0)
                throw new UserInputException("nothing to embed: give image files or folders after the options, --text or --texts-file");
            var paths = anyImage ? CommonOptions.ImageFiles(parse, images, oldImages) : [];
            var promptsPath = PromptOptions.ResolvePath(parse.GetValue(prompts));
            var normalized = parse.GetValue(normalize);
            var batchSize = parse.GetValue(batch);

            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!);
            using var learner = promptsPath is null ? null : PromptOptions.Load(promptsPath, parse.GetValue(ctxInit)!, clip);
            var extractor = new FeatureExtractor(clip) { Prompts = learner };
            using var imageFeatures = paths.Count == 0 ? null
                : paths.Count > batchSize
                    ? ProgressDisplay.Run("embedding images", paths.Count, update =>
                        extractor.ImageFeatures(paths, normalized, batchSize, parse.GetValue(loaderThreads), new BatchProgressReporter(update, "images"), cancellation))
                    : extractor.ImageFeatures(paths, normalized, batchSize, parse.GetValue(loaderThreads), cancellation: cancellation);
            using var textFeatures = textList.Count == 0 ? null
                : textList.Count > TextBatchSize
                    ? ProgressDisplay.Run("embedding texts", textList.Count, update =>
                        extractor.TextFeatures(textList, normalized, TextBatchSize, new BatchProgressReporter(update, "texts"), cancellation))
                    : extractor.TextFeatures(textList, normalized, TextBatchSize, cancellation: cancellation);

            EmbeddingFile.Write(outputPath, clip.Source, normalized, paths.Count == 0 ? null : paths, imageFeatures,
                textList.Count == 0 ? null : textList, textFeatures, promptsPath);
            var normalizedNote = normalized ? " (normalised)" : "";
            AnsiConsole.MarkupLine(
                $"wrote [green]{Markup.Escape(OutputText.DisplayPath(outputPath))}[/]:{Markup.Escape(Describe(EmbeddingFile.ImageFeaturesKey, imageFeatures) + Describe(EmbeddingFile.TextFeaturesKey, textFeatures))}{normalizedNote}");
            return 0;
        });
        return command;
    }

    const int TextBatchSize = 256;

    /// <summary>--text, then the lines of --texts-file.</summary>
    public static IReadOnlyList<string> ResolveTexts(string[]? texts, string? textsFile)
    {
        var result = new List<string>();
        foreach (var text in texts ?? [])
        {
            if (string.IsNullOrWhiteSpace(text))
                throw new UserInputException("--text: a text is blank");
            result.Add(text);
        }
        if (textsFile is not null)
            result.AddRange(TextList.Read(textsFile));
        return result;
    }

    static string Describe(string name, Tensor? features) =>
        features is null ? "" : string.Create(CultureInfo.InvariantCulture, $" {name} [{features.shape[0]}, {features.shape[1]}]");
}
