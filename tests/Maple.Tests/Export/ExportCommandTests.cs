using System.Text.Json;
using Maple.Cli;
using Maple.Clip;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Tests.Training;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Maple.Tests.Export;

/// <summary><c>maple export</c> and <c>maple serve</c>'s refusals, from the command line in-process.</summary>
public sealed class ExportCommandTests
{
    static readonly string[] ClassNames = ["tabby cat", "coffee cup", "astronaut"];

    [Fact]
    public async Task ExportedPromptsFileRunsInOnnxRuntimeWithMaplesLogits()
    {
        using var scope = NewDisposeScope();
        using var folder = new TempFolder();
        using var clip = await PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32);
        using var learner = PromptLearners.Create(PromptConfig.VptDeep(4, 3), clip.Model, clip.Tokenizer, seed: 9);
        PromptCheckpoint.Save(folder["prompt.safetensors"], learner, PromptCheckpoint.Describe(learner, Fixtures.TinyMapleModel, ClassNames));

        var (code, error) = await CliRunner.RunAsync("export", "--model", Fixtures.TinyMapleModel, "--prompts", folder["prompt.safetensors"], "-o", folder["c.onnx"]);
        Assert.True(code == 0, error);

        using var _ = no_grad();
        using var prompted = new PromptedClip(clip.Model, learner, clip.Tokenizer, ClassNames);
        var images = new EvalTransform(224).LoadBatch([Path.Combine(Fixtures.Preprocess, "images", "chelsea.png"), Path.Combine(Fixtures.Preprocess, "images", "rocket.jpg")]);
        TensorAssert.RelativeClose(prompted.Logits(images), OnnxExportTests.RunOnnx(folder["c.onnx"], images), 1e-4, "exported vpt-deep logits");
        using var session = new InferenceSession(folder["c.onnx"]);
        Assert.Equal(ClassNames, JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap["class_names"]));
        Assert.Equal("vpt-deep", session.ModelMetadata.CustomMetadataMap["method"]);
    }

    [Fact]
    public async Task ZeroShotExportRecordsItsTemplates()
    {
        using var folder = new TempFolder();
        var (code, error) = await CliRunner.RunAsync("export", "--model", Fixtures.TinyMapleModel, "--class", "cat", "--class", "dog",
            "--template", "a photo of a {}.", "--template", "a drawing of a {}.", "--output", folder["zs.onnx"]);
        Assert.True(code == 0, error);
        using var session = new InferenceSession(folder["zs.onnx"]);
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(["cat", "dog"], JsonSerializer.Deserialize<string[]>(meta["class_names"])!);
        Assert.Equal(["a photo of a {}.", "a drawing of a {}."], JsonSerializer.Deserialize<string[]>(meta["templates"])!);
        Assert.Equal(Fixtures.TinyMapleModel, meta["model"]);
    }

    [Fact]
    public async Task CoCoOpAndMissingInputsAreOneLineErrors()
    {
        using var folder = new TempFolder();
        using (var clip = await PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32))
        using (var learner = PromptLearners.Create(PromptConfig.CoCoOp(4), clip.Model, clip.Tokenizer, seed: 1))
            PromptCheckpoint.Save(folder["cocoop.safetensors"], learner, PromptCheckpoint.Describe(learner, Fixtures.TinyMapleModel, ClassNames));

        var (code, error) = await CliRunner.RunAsync("export", "--model", Fixtures.TinyMapleModel, "--prompts", folder["cocoop.safetensors"], "-o", folder["c.onnx"]);
        Assert.Equal(1, code);
        Assert.Equal("error: cocoop prompts cannot be exported to ONNX: their text depends on each image, so the class text features are not constants (export another method's prompts)",
            error.Trim());
        Assert.False(File.Exists(folder["c.onnx"]));

        (code, error) = await CliRunner.RunAsync("export", "--model", Fixtures.TinyMapleModel, "-o", folder["c.onnx"]);
        Assert.Equal(1, code);
        Assert.Contains("no classes", error);

        (code, error) = await CliRunner.RunAsync("serve");
        Assert.Equal(1, code);
        Assert.Contains("nothing to serve: pass --model", error);

        (code, error) = await CliRunner.RunAsync("serve", "--onnx", folder["c.onnx"], "--model", Fixtures.TinyMapleModel);
        Assert.Equal(1, code);
        Assert.Contains("--onnx serves an exported classifier as it is", error);

        (code, error) = await CliRunner.RunAsync("serve", "--onnx", folder["missing.onnx"]);
        Assert.Equal(1, code);
        Assert.Contains("missing.onnx: no such ONNX file", error);

        (code, error) = await CliRunner.RunAsync("serve", "--onnx", folder["missing.onnx"], "--port", "70000");
        Assert.Equal(1, code);
        Assert.Contains("--port must be from 0 to 65535 (got 70000)", error);
    }
}
