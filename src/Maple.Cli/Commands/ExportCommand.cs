using System.CommandLine;
using System.Globalization;
using Maple.Export;
using Maple.Prompting;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple export</c>: a classifier (CLIP, learned prompts, classes) as one ONNX file for ONNX Runtime.</summary>
static class ExportCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var config = CommonOptions.Config();
        var prompts = PromptOptions.Prompts();
        var ctxInit = PromptOptions.CtxInit();
        var classes = CommonOptions.ClassesFile("class names, one per line (default: the classes the prompts were trained on)");
        var classNames = CommonOptions.ClassName();
        var template = PromptOptions.Template($"\"{PromptTemplates.Default}\"");
        var templates = PromptOptions.Templates();
        var output = new Option<string>("--output", "-o") { Description = "the .onnx file to write", Required = true };
        var threads = CommonOptions.Threads();
        var tokenizer = CommonOptions.Tokenizer();
        var device = CommonOptions.Device();

        var command = new Command("export",
            "Export a classifier (learned prompts or zero-shot CLIP, and its classes) as an ONNX graph: pixel_values [N, 3, H, W] → logits [N, classes].")
        {
            model, config, prompts, ctxInit, classes, classNames, template, templates, output, threads, tokenizer, device,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var path = CommonOptions.OutputFile(parse.GetValue(output)!, ".onnx");
            var promptsPath = PromptOptions.ResolvePath(parse.GetValue(prompts));
            var zeroShotTemplates = PromptOptions.ResolveTemplates(parse, template, templates);
            if (zeroShotTemplates is not null && promptsPath is not null)
                throw new UserInputException("--template and --templates word zero-shot CLIP's prompts; learned prompts (--prompts) word the classes as they were trained");
            var names = CommonOptions.ResolveClasses(parse.GetValue(classes), parse.GetValue(classNames), promptsPath, parse.GetValue(ctxInit)!);
            // The graph is fp32 whatever the CPU offers: ONNX engines run it anywhere.
            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, "fp32", parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!);
            using var learner = PromptOptions.Load(promptsPath, parse.GetValue(ctxInit)!, clip);
            using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, names, zeroShotTemplates);
            OnnxClassifierExporter.Export(prompted, path, clip.Source);
            var size = clip.Model.Config.Vision.ImageSize;
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"({new FileInfo(path).Length / 1e6:F1} MB): {PromptMethods.Name(learner.Config.Method)}, {names.Count} classes, " +
                $"{OnnxClassifierExporter.InputName} [N, 3, {size}, {size}] → {OnnxClassifierExporter.OutputName} [N, {names.Count}], opset {OnnxClassifierExporter.Opset}");
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(path)}[/] {Markup.Escape(summary)}");
            return 0;
        });
        return command;
    }
}
