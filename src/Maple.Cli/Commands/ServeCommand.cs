using System.CommandLine;
using Maple.Cli.Serving;
using Maple.Imaging;
using Spectre.Console;

namespace Maple.Cli.Commands;

/// <summary><c>maple serve</c>: a classifier (CLIP with learned prompts, or an exported ONNX file) over HTTP.</summary>
static class ServeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        model.Required = false;
        var onnx = new Option<string?>("--onnx") { Description = "serve a classifier exported by 'maple export' (run by ONNX Runtime) instead of --model" };
        var config = CommonOptions.Config();
        var prompts = PromptOptions.Prompts();
        var ctxInit = PromptOptions.CtxInit();
        var classes = CommonOptions.ClassesFile("class names, one per line (default: the classes the prompts were trained on)");
        var classNames = CommonOptions.ClassName();
        var template = PromptOptions.Template($"\"{Prompting.PromptTemplates.Default}\"");
        var templates = PromptOptions.Templates();
        var host = new Option<string>("--host") { Description = "the address to listen on (0.0.0.0 for every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "the port to listen on (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var maxRequestBytes = new Option<long>("--max-request-bytes")
        {
            Description = "refuse request bodies larger than this (413)",
            DefaultValueFactory = _ => ServeOptions.DefaultMaxRequestBytes,
        };
        var maxBatch = new Option<int>("--max-batch") { Description = "the most waiting images classified in one forward pass", DefaultValueFactory = _ => 8 };
        var queue = new Option<int>("--queue") { Description = "the most images waiting; more are answered 503 at once", DefaultValueFactory = _ => 64 };
        var precision = CommonOptions.Precision();
        var threads = CommonOptions.Threads();
        var maxImagePixels = CommonOptions.MaxImagePixels();
        var tokenizer = CommonOptions.Tokenizer();
        var device = CommonOptions.Device();

        var command = new Command("serve",
            "Serve a classifier over HTTP: POST /classify (an image → top-k JSON), GET /health, and a page at / to drop an image on.")
        {
            model, onnx, config, prompts, ctxInit, classes, classNames, template, templates, host, port, maxRequestBytes, maxBatch, queue,
            precision, threads, maxImagePixels, tokenizer, device,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var options = new ServeOptions(
                parse.GetValue(host)!,
                Checked(parse.GetValue(port), 0, 65535, "--port"),
                AtLeastOne(parse.GetValue(maxRequestBytes), "--max-request-bytes"),
                AtLeastOne(parse.GetValue(maxImagePixels), "--max-image-pixels"),
                Checked(parse.GetValue(maxBatch), 1, 4096, "--max-batch"),
                Checked(parse.GetValue(queue), 1, 1_000_000, "--queue"));

            using var classifier = await LoadAsync(parse, model, onnx, config, prompts, ctxInit, classes, classNames, template, templates,
                precision, threads, tokenizer, device, cancellation);
            await using var server = await ClassifierServer.StartAsync(classifier, options, cancellation);
            AnsiConsole.MarkupLine($"serving [bold]{Markup.Escape(classifier.Description)}[/] ({classifier.ClassNames.Count} classes) at [green]{Markup.Escape(server.Address.ToString())}[/]");
            AnsiConsole.MarkupLine("POST /classify?top=5 with an image as the body (or a form file 'image'); GET /health; Ctrl+C stops");
            try
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, server.Stopping);
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                AnsiConsole.MarkupLine("stopping");
            }
            return 0;
        });
        return command;
    }

    static async Task<IImageClassifier> LoadAsync(ParseResult parse, Option<string> model, Option<string?> onnx, Option<string?> config,
        Option<string?> prompts, Option<string> ctxInit, Option<string?> classes, Option<string[]> classNames, Option<string[]> template,
        Option<string[]> templates, Option<string> precision, Option<int> threads, Option<string?> tokenizer, Option<string> device, CancellationToken cancellation)
    {
        var modelPath = parse.GetValue(model);
        var onnxPath = parse.GetValue(onnx);
        var promptsPath = PromptOptions.ResolvePath(parse.GetValue(prompts));
        var zeroShotTemplates = PromptOptions.ResolveTemplates(parse, template, templates);
        if (zeroShotTemplates is not null && promptsPath is not null)
            throw new UserInputException("--template and --templates word zero-shot CLIP's prompts; learned prompts (--prompts) word the classes as they were trained");
        if (onnxPath is not null)
        {
            if (modelPath is not null || promptsPath is not null || parse.GetValue(classes) is not null || parse.GetValue(classNames) is { Length: > 0 } || zeroShotTemplates is not null)
                throw new UserInputException("--onnx serves an exported classifier as it is: its model, prompts and classes are inside (drop --model, --prompts, --class, --classes, --template)");
            return OnnxImageClassifier.Open(onnxPath, parse.GetValue(threads));
        }
        if (modelPath is null)
            throw new UserInputException("nothing to serve: pass --model (with --prompts, or classes for zero-shot CLIP) or --onnx FILE");
        var names = CommonOptions.ResolveClasses(parse.GetValue(classes), parse.GetValue(classNames), promptsPath, parse.GetValue(ctxInit)!);
        var clip = new ClipBackbone(await CommonOptions.LoadModelAsync(modelPath, parse.GetValue(precision)!, parse.GetValue(tokenizer), cancellation, parse.GetValue(config), parse.GetValue(device)!));
        try
        {
            // The library's classifier, as predict uses it: MMRL prompts read out as their authors do.
            var classifier = promptsPath is null
                ? clip.ZeroShot(names, zeroShotTemplates)
                : clip.LoadClassifier(promptsPath, names, ctxInit: parse.GetValue(ctxInit)!);
            return new TorchImageClassifier(clip, classifier);
        }
        catch
        {
            clip.Dispose();
            throw;
        }
    }

    static long AtLeastOne(long value, string flag) =>
        value >= 1 ? value : throw new UserInputException($"{flag} must be at least 1 (got {value})");

    static int Checked(int value, int min, int max, string flag) =>
        value >= min && value <= max ? value : throw new UserInputException($"{flag} must be from {min} to {max} (got {value})");
}
