using System.CommandLine;
using System.Globalization;
using Maple.Data;
using Maple.Evaluation;
using Maple.Prompting;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple eval</c>: accuracy, macro-F1, per-class accuracy and the confusion matrix of learned prompts.</summary>
static class EvalCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var config = CommonOptions.Config();
        var prompts = PromptOptions.Prompts();
        var ctxInit = PromptOptions.CtxInit();
        var data = new DataOptions(defaultSplit: "test");
        var output = new Option<string>("--output", "-o") { Description = "results JSON (a confusion CSV and PNG are written beside it)", DefaultValueFactory = _ => "results.json", HelpName = "file" };
        var logits = new Option<string?>("--logits") { Description = "also write logits F32 [N, C] and labels I64 [N] to this safetensors file", HelpName = "file" };
        var batch = new Option<int>("--batch-size") { Description = "images per forward pass", DefaultValueFactory = _ => 32 };
        var loaderThreads = new Option<int>("--loader-threads") { Description = "threads decoding images", DefaultValueFactory = _ => 1 };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var tokenizer = CommonOptions.Tokenizer();
        var template = PromptOptions.Template($"a benchmark's own template with --dataset (as the papers' zero-shot CLIP), else \"{PromptTemplates.Default}\"");
        var templates = PromptOptions.Templates();
        var mmrlLogits = PromptOptions.MmrlLogits();

        var command = new Command("eval", "Evaluate learned prompts (or zero-shot CLIP) on labelled images.")
        {
            model, config, prompts, ctxInit, template, templates, output, logits, batch, loaderThreads, precision, threads, maxImagePixels, tokenizer, mmrlLogits, device,
        };
        data.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            CommonOptions.ApplyImageLimit(parse.GetValue(maxImagePixels));
            var outputPath = CommonOptions.OutputFile(parse.GetValue(output)!, ".json");
            var logitsPath = parse.GetValue(logits) is { } l ? CommonOptions.OutputFile(l) : null;
            var promptsPath = PromptOptions.ResolvePath(parse.GetValue(prompts));
            var zeroShotTemplates = PromptOptions.ResolveTemplates(parse, template, templates);
            if (zeroShotTemplates is not null && promptsPath is not null)
                throw new UserInputException("--template and --templates word zero-shot CLIP's prompts; learned prompts (--prompts) word the classes as they were trained");
            if (promptsPath is null && zeroShotTemplates is null && data.Benchmark(parse) is { } benchmark)
                zeroShotTemplates = [PromptTemplates.ForBenchmark(benchmark)];
            var dataset = data.Open(parse);
            using var clip = await CommonOptions.LoadModelAsync(parse.GetValue(model)!, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!);
            using var learner = PromptOptions.Load(promptsPath, parse.GetValue(ctxInit)!, clip);
            var readout = MmrlReadout.Fused;
            if (learner.Config.Method == PromptMethod.Mmrl)
            {
                // MMRL's text is hand-written: its authors word each benchmark's classes with the benchmark's own template.
                if (data.Benchmark(parse) is { } scored)
                    zeroShotTemplates = [PromptTemplates.ForBenchmark(scored)];
                readout = PromptOptions.ResolveMmrlLogits(parse.GetValue(mmrlLogits)!, promptsPath, dataset.ClassNames);
            }
            using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, dataset.ClassNames, zeroShotTemplates) { Readout = readout };

            var result = ProgressDisplay.Run("evaluating", dataset.Items.Count, update =>
                Evaluator.Evaluate(prompted, dataset, parse.GetValue(batch), parse.GetValue(loaderThreads),
                    new Progress(update), cancellation));

            var context = new Dictionary<string, string>
            {
                ["model"] = clip.Source,
                ["prompts"] = promptsPath ?? "(zero-shot)",
                ["method"] = PromptMethods.Name(learner.Config.Method),
                ["precision"] = clip.Model.PrecisionChoice.ToString(),
                ["data"] = dataset.Source,
                ["prompt_example"] = prompted.PromptTexts[0],
                ["templates"] = string.Join(" | ", prompted.Templates),
            };
            if (learner.Config.Method == PromptMethod.Mmrl)
                context["mmrl_logits"] = readout.ToString();
            var written = EvaluationReport.Write(outputPath, result, dataset.ClassNames, context);
            if (logitsPath is not null)
            {
                EvaluationReport.WriteLogits(logitsPath, result);
                written = [.. written, logitsPath];
            }

            var m = result.Metrics;
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"accuracy [bold]{100 * m.Accuracy:F2}%[/] ({m.Count} images, {dataset.ClassNames.Count} classes), top-5 {100 * result.Top5Accuracy:F2}%, macro-F1 {100 * m.MacroF1:F2}%"));
            OutputText.Wrote(written);
            return 0;
        });
        return command;
    }

    sealed class Progress(Action<double, string> update) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress p) => update(p.Done, string.Create(CultureInfo.InvariantCulture,
            $"{p.Done}/{p.Total} images, accuracy {100.0 * p.Correct / Math.Max(p.Done, 1):F1}%, {p.ImagesPerSecond:F1} img/s"));
    }
}
