using System.CommandLine;
using System.Globalization;
using Maple.Data;
using Maple.Imaging;
using Maple.Prompting;
using Spectre.Console;
using static TorchSharp.torch;

namespace Maple.Cli.Commands;

/// <summary><c>maple predict</c>: the top-k classes of single images under learned prompts.</summary>
static class PredictCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var config = CommonOptions.Config();
        var prompts = PromptOptions.Prompts();
        var ctxInit = PromptOptions.CtxInit();
        var classes = new Option<string?>("--classes") { Description = "class names, one per line (default: the classes the prompts were trained on)" };
        var classNames = new Option<string[]>("--class") { Description = "a class name (repeat for several)", AllowMultipleArgumentsPerToken = true };
        var top = new Option<int>("--top", "-k") { Description = "classes to show per image", DefaultValueFactory = _ => 5 };
        var images = new Argument<string[]>("images") { Description = "image files", Arity = ArgumentArity.OneOrMore };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var tokenizer = CommonOptions.Tokenizer();

        var command = new Command("predict", "Classify single images with learned prompts (or zero-shot CLIP).")
        {
            model, config, prompts, ctxInit, classes, classNames, top, images, precision, threads, maxImagePixels, tokenizer, device,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!);
            using var learner = PromptOptions.Load(parse.GetValue(prompts), parse.GetValue(ctxInit)!, clip);
            var names = ResolveClasses(parse.GetValue(classes), parse.GetValue(classNames), parse.GetValue(prompts), parse.GetValue(ctxInit)!);
            using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, names);
            var transform = new EvalTransform(clip.Model.Config.Vision.ImageSize, clip.Model.Normalization);
            var k = Math.Clamp(parse.GetValue(top), 1, names.Count);

            using var _ = no_grad();
            using var textFeatures = learner.ConditionsOnImage ? null : prompted.TextFeatures();
            var table = new Table().AddColumns("image", "class", "probability");
            foreach (var path in parse.GetValue(images)!)
            {
                using var scope = NewDisposeScope();
                var pixels = transform.Load(path).unsqueeze(0);
                var logits = textFeatures is null ? prompted.Logits(pixels) : prompted.Logits(pixels, textFeatures);
                var probabilities = logits.softmax(-1)[0];
                var (values, indices) = probabilities.topk(k);
                for (var i = 0; i < k; i++)
                {
                    table.AddRow(i == 0 ? Markup.Escape(path) : "", Markup.Escape(names[(int)indices[i].item<long>()]),
                        values[i].item<float>().ToString("P2", CultureInfo.InvariantCulture));
                }
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    /// <summary>--classes, else --class, else the class names recorded in the prompts file.</summary>
    public static IReadOnlyList<string> ResolveClasses(string? classesFile, string[]? classNames, string? promptsPath, string ctxInit)
    {
        if (classesFile is not null)
            return DatasetSource.ReadClassNames(classesFile);
        if (classNames is { Length: > 0 })
            return classNames;
        if (promptsPath is not null)
        {
            using var checkpoint = PromptCheckpoint.Read(promptsPath, ctxInit);
            if (checkpoint.ClassNames is { Count: > 0 } recorded)
                return recorded;
        }
        throw new UserInputException("no classes: pass --classes FILE or --class NAME (the prompts file records none)");
    }
}
