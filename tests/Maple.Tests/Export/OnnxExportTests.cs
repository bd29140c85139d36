using System.Text.Json;
using Maple.Export;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Tests.Training;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Maple.Tests.Export;

/// <summary>
/// The exported graph, run by ONNX Runtime (an engine that shares no code with Maple), gives Maple's fp32 logits.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    public static TheoryData<string> ExportableMethods => new("maple", "coop", "vpt-deep", "ivlp", "deep-language", "zeroshot");

    [Theory]
    [MemberData(nameof(ExportableMethods))]
    public void OnnxRuntimeMatchesMapleLogits(string name)
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        var method = PromptMethods.Parse(name);
        using var learner = PromptLearners.Create(MethodTests.SmallConfig(method), fixture.Clip, fixture.Tokenizer, seed: 5);
        Enlarge(learner, seed: 11);
        using var prompted = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
        using var zeroShotLearner = PromptLearners.Create(PromptConfig.ZeroShot(), fixture.Clip, fixture.Tokenizer, seed: 0);
        using var zeroShot = new PromptedClip(fixture.Clip, zeroShotLearner, fixture.Tokenizer, fixture.ClassNames);
        using var folder = new TempFolder();
        var path = folder["classifier.onnx"];

        OnnxClassifierExporter.Export(prompted, path, "tiny-maple");

        using var _ = no_grad();
        var images = cat([fixture.Images(0), fixture.Images(1)]); // 8 images
        var expected = prompted.Logits(images);
        var got = RunOnnx(path, images);
        var relative = TensorAssert.RelativeClose(expected, got, 1e-4, $"{name}: ONNX Runtime logits");
        output.WriteLine($"{name}: ONNX Runtime vs Maple logits, relative error {relative:E2}");
        if (method != PromptMethod.ZeroShot)
        {
            // The prompts matter on this fixture far beyond the tolerance: an export without them would fail.
            var withoutPrompts = zeroShot.Logits(images);
            var change = (expected - withoutPrompts).abs().max().item<float>() / expected.abs().max().item<float>();
            Assert.True(change > 1e-2, $"{name}: prompts change the logits by only {change:E2}");
        }
    }

    [Fact]
    public void ExactGeluBackbonesExportToo()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        var config = fixture.Clip.Config with { Vision = fixture.Clip.Config.Vision with { Activation = "gelu" }, Text = fixture.Clip.Config.Text with { Activation = "gelu" } };
        using var clip = new Maple.Clip.ClipModel(config, Precision.Fp32);
        clip.InitializeRandom(seed: 4);
        using (no_grad())
        {
            // Hidden activations of a few units, where GELU and quick_gelu part ways (CLIP's init keeps them near 0).
            foreach (var block in clip.Visual.Transformer.Blocks)
                block.Mlp.Fc.Weight.mul_(25);
        }
        using var learner = PromptLearners.Create(PromptConfig.VptDeep(4, 3), clip, fixture.Tokenizer, seed: 2);
        Enlarge(learner, seed: 6);
        using var prompted = new PromptedClip(clip, learner, fixture.Tokenizer, fixture.ClassNames);
        using var folder = new TempFolder();
        OnnxClassifierExporter.Export(prompted, folder["gelu.onnx"]);

        using var _ = no_grad();
        var images = fixture.Images(0);
        var expected = prompted.Logits(images);
        TensorAssert.RelativeClose(expected, RunOnnx(folder["gelu.onnx"], images), 1e-4, "gelu backbone: ONNX Runtime logits");

        // The same weights with quick_gelu give other logits: the export above followed the activation.
        using var quick = new Maple.Clip.ClipModel(fixture.Clip.Config, Precision.Fp32);
        using (no_grad())
        {
            foreach (var ((_, to), (_, from)) in quick.named_parameters().Zip(clip.named_parameters()))
                to.copy_(from);
        }
        using var quickPrompted = new PromptedClip(quick, learner, fixture.Tokenizer, fixture.ClassNames);
        var change = (quickPrompted.Logits(images) - expected).abs().max().item<float>() / expected.abs().max().item<float>();
        Assert.True(change > 1e-3, $"quick_gelu changes the logits by only {change:E2}"); // ten times the tolerance
    }

    [Fact]
    public void MetadataDescribesTheInputAndTheClasses()
    {
        using var fixture = new TinyMapleCase();
        using var learner = PromptLearners.Create(PromptConfig.ZeroShot(), fixture.Clip, fixture.Tokenizer, seed: 0);
        using var prompted = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
        using var folder = new TempFolder();
        var path = folder["classifier.onnx"];
        OnnxClassifierExporter.Export(prompted, path, "tiny-maple");

        using var session = new InferenceSession(path);
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(fixture.ClassNames, JsonSerializer.Deserialize<string[]>(meta["class_names"]));
        Assert.Equal("224", meta["image_size"]);
        Assert.Equal([0.48145466f, 0.4578275f, 0.40821073f], JsonSerializer.Deserialize<float[]>(meta["mean"])!);
        Assert.Equal([0.26862954f, 0.26130258f, 0.27577711f], JsonSerializer.Deserialize<float[]>(meta["std"])!);
        Assert.Equal(MapleInfo.Version, meta["maple_version"]);
        Assert.Equal("zeroshot", meta["method"]);
        Assert.Equal("tiny-maple", meta["model"]);
        Assert.Equal(["pixel_values"], session.InputMetadata.Keys);
        Assert.Equal(new[] { -1, 3, 224, 224 }, session.InputMetadata["pixel_values"].Dimensions);
        Assert.Equal(new[] { -1, fixture.ClassNames.Count }, session.OutputMetadata["logits"].Dimensions);

        var model = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Equal(17, model.OpsetImport.Single(o => o.Domain == "").Version);
    }

    [Fact]
    public void CoCoOpIsRefusedWithTheReason()
    {
        using var fixture = new TinyMapleCase();
        using var learner = PromptLearners.Create(PromptConfig.CoCoOp(4), fixture.Clip, fixture.Tokenizer, seed: 0);
        using var prompted = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
        using var folder = new TempFolder();
        var error = Assert.Throws<UserInputException>(() => OnnxClassifierExporter.Export(prompted, folder["c.onnx"]));
        Assert.Contains("cocoop", error.Message);
        Assert.Contains("depends on each image", error.Message);
        Assert.False(File.Exists(folder["c.onnx"]));
    }

    /// <summary>Logits [N, classes] of normalised images [N, 3, H, W] from ONNX Runtime.</summary>
    internal static Tensor RunOnnx(string path, Tensor images)
    {
        using var session = new InferenceSession(path);
        var shape = images.shape;
        var pixels = images.contiguous().data<float>().ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, shape);
        using var outputs = session.Run(new RunOptions(), ["pixel_values"], [input], ["logits"]);
        var logits = outputs[0];
        return tensor(logits.GetTensorDataAsSpan<float>().ToArray(), logits.GetTensorTypeAndShape().Shape);
    }

    /// <summary>Learned values far from their small initialisation, so that the prompts move the logits.</summary>
    static void Enlarge(PromptLearner learner, long seed)
    {
        using var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, parameter) in learner.Parameters)
            parameter.copy_(normal(0, 1, parameter.shape, generator: generator));
    }
}
