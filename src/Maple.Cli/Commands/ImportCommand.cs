using System.CommandLine;
using Maple.Data;
using Maple.Prompting;
using Spectre.Console;
using static TorchSharp.torch;

namespace Maple.Cli.Commands;

/// <summary><c>maple import</c>: converts a checkpoint of the MaPLe authors' PyTorch code into a prompts file.</summary>
static class ImportCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("checkpoint") { Description = "the authors' checkpoint (Dassl's model.pth.tar-N, or model-best.pth.tar)" };
        var output = new Option<string>("--output", "-o") { Description = "prompts file to write", DefaultValueFactory = _ => "prompt.safetensors", HelpName = "file" };
        var ctxInit = new Option<string?>("--ctx-init")
        {
            Description = "the words the prompts were initialised with (the authors' CTX_INIT; default: their config's, \"a photo of a\", or none for CoOp)",
        };
        var classes = CommonOptions.ClassesFile("class names the prompts were trained on, one per line, to record in the file");
        var model = new Option<string?>("--model", "-m")
        {
            Description = "check the prompt widths against this CLIP (id, folder or file) and tie the file to it",
        };

        var config = CommonOptions.Config();

        var command = new Command("import", "Convert a checkpoint saved by the MaPLe authors' code (MaPLe, CoOp, CoCoOp, IVLP, ...) into a prompts file.")
        {
            checkpoint, output, ctxInit, classes, model, config,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var outputPath = CommonOptions.OutputFile(parse.GetValue(output)!);
            var options = new AuthorImportOptions
            {
                CtxInit = parse.GetValue(ctxInit),
                ClassNames = parse.GetValue(classes) is { } classesPath ? DatasetSource.ReadClassNames(classesPath) : null,
            };
            if (parse.GetValue(model) is { } backbone)
                options = options with { Backbone = await CommonOptions.ReadModelConfigAsync(backbone, cancellation, parse.GetValue(config)), BackboneId = backbone };

            using var imported = AuthorCheckpointImporter.Import(parse.GetValue(checkpoint)!, outputPath, options);
            Print(imported, options);
            OutputText.Wrote(outputPath);
            return 0;
        });
        return command;
    }

    static void Print(ImportedPrompts imported, AuthorImportOptions options)
    {
        var c = imported.Config;
        AnsiConsole.MarkupLine($"imported [bold]{PromptMethods.Name(c.Method)}[/] prompts from {Markup.Escape(imported.SourcePath)}");
        var summary = new Table().HideHeaders().AddColumns("", "");
        void Row(string name, string value) => summary.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("method", PromptMethods.Name(c.Method));
        Row("n_ctx", $"text {c.TextTokens}, vision {c.VisionTokens}");
        Row("depth", $"text {c.TextDepth}, vision {c.VisionDepth}");
        Row("epoch", imported.Epoch?.ToString() ?? "(not recorded)");
        Row("ctx_init", $"\"{c.CtxInit}\"");
        Row("prompt", $"\"{imported.PromptPrefix} {{class}}.\"");
        var widths = new[] { ("text", imported.Widths.Text), ("vision", imported.Widths.Vision), ("embedding", imported.Widths.Embed) }
            .Where(w => w.Item2 is not null).Select(w => $"{w.Item1} {w.Item2!.Value}");
        Row("widths", string.Join(", ", widths));
        if (options.ClassNames is { } names)
            Row("classes", $"{names.Count} ({string.Join(", ", names.Take(3))}{(names.Count > 3 ? ", ..." : "")})");
        if (options.Backbone is { } backbone)
            Row("backbone", $"{options.BackboneId} (config {backbone.Hash()})");
        AnsiConsole.Write(summary);

        var tensors = new Table().AddColumns("tensor (imported as float32)", "shape", "stored as");
        foreach (var entry in imported.Entries.Where(e => e.Imported))
            tensors.AddRow(Markup.Escape(entry.Name), Markup.Escape(Shape(entry.Shape)), DtypeName(entry.Dtype));
        AnsiConsole.Write(tensors);

        foreach (var group in imported.Entries.Where(e => !e.Imported).GroupBy(e => e.Dropped))
        {
            var list = group.Count() <= 4 ? string.Join(", ", group.Select(e => e.Name)) : $"{group.Count()} tensors";
            AnsiConsole.MarkupLine(Markup.Escape($"dropped {list}: {group.Key}"));
        }
    }

    static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}
