using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Import;

/// <summary>Importing the other methods' checkpoints, and checkpoints that do not hold usable prompts.</summary>
public sealed class MethodImportTests
{
    public static TheoryData<string, string, string[]> Methods => new()
    {
        // CoOp and CoCoOp register only the prompt learner: its names gain the "prompt_learner." our learners use.
        { "authors-coop.pth.tar-50", "coop", ["prompt_learner.ctx"] },
        {
            "authors-cocoop.pth.tar-10", "cocoop",
            ["prompt_learner.ctx", "prompt_learner.meta_net.linear1.weight", "prompt_learner.meta_net.linear1.bias",
             "prompt_learner.meta_net.linear2.weight", "prompt_learner.meta_net.linear2.bias"]
        },
        {
            "authors-ivlp.pth.tar-5", "ivlp",
            ["prompt_learner.ctx", "text_encoder.transformer.resblocks.1.VPT_shallow", "text_encoder.transformer.resblocks.2.VPT_shallow",
             "image_encoder.VPT", "image_encoder.transformer.resblocks.1.VPT_shallow", "image_encoder.transformer.resblocks.2.VPT_shallow"]
        },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void MethodCheckpoint_ImportsItsPromptsAndLoadsOnTheTinyModel(string checkpointFile, string method, string[] names)
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        using (var imported = AuthorCheckpointImporter.Import(ImportTestData.File(checkpointFile), output, new AuthorImportOptions()))
            Assert.Equal(method, PromptMethods.Name(imported.Config.Method));

        var expected = ImportTestData.Expected("authors-methods.expected.json").GetProperty(method);
        using var saved = SafetensorsFile.Open(output);
        Assert.Equal(names, saved.Entries.Keys.ToArray());
        foreach (var name in names)
        {
            var original = method == "ivlp" ? name : name["prompt_learner.".Length..];
            ImportTestData.AssertSummary(expected.GetProperty(original), saved.Read(name), name);
            Assert.Equal(ScalarType.Float32, saved.Entries[name].DType);
        }

        using var fixture = new TinyMapleCase();
        using var checkpoint = PromptCheckpoint.Read(output);
        using var learner = checkpoint.CreateLearner(fixture.Clip, fixture.Tokenizer);
        using var prompted = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
        using var _ = no_grad();
        Assert.True(prompted.Logits(fixture.Images(0)).isfinite().all().item<bool>());
    }

    [Fact]
    public void Shapes_AreInferredPerMethod()
    {
        using (var coop = AuthorCheckpointImporter.Read(ImportTestData.File("authors-coop.pth.tar-50")))
        {
            Assert.Equal(PromptConfig.CoOp(nCtx: 16, ctxInit: ""), coop.Config);
            Assert.Equal(50L, coop.Epoch);
            Assert.Equal(string.Join(" ", Enumerable.Repeat("X", 16)), coop.PromptPrefix);
        }
        using (var cocoop = AuthorCheckpointImporter.Read(ImportTestData.File("authors-cocoop.pth.tar-10")))
        {
            Assert.Equal(PromptConfig.CoCoOp(nCtx: 4, ctxInit: "a photo of a"), cocoop.Config);
            Assert.Equal(64, cocoop.Widths.Embed!.Value);
            Assert.Equal("a photo of a", cocoop.PromptPrefix);
        }
        using var ivlp = AuthorCheckpointImporter.Read(ImportTestData.File("authors-ivlp.pth.tar-5"));
        Assert.Equal(PromptConfig.Ivlp(2, 2, 3, 3, "a photo of a"), ivlp.Config);
        Assert.Equal(192, ivlp.Widths.Vision!.Value);
        Assert.Equal(12, ivlp.Entries.Count(e => e.Dropped == "frozen backbone"));
    }

    [Fact]
    public void CtxInitWithAnotherWordCount_IsRefusedForCoOp()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            AuthorCheckpointImporter.Read(ImportTestData.File("authors-coop.pth.tar-50"), ctxInit: "a photo of a"));

        Assert.Contains("ctx_init \"a photo of a\" has 4 words, but the checkpoint's context has 16 tokens", error.Message);
    }

    [Fact]
    public void CtxInit_IsRecordedAsGiven()
    {
        using var maple = AuthorCheckpointImporter.Read(ImportTestData.File("authors-maple.pth.tar-5"), ctxInit: "a_drawing_of_a");
        Assert.Equal("a_drawing_of_a", maple.Config.CtxInit);
        Assert.Equal("a drawing of a", maple.PromptPrefix);
        using var random = AuthorCheckpointImporter.Read(ImportTestData.File("authors-maple.pth.tar-5"), ctxInit: "");
        Assert.Equal("X X", random.PromptPrefix);
    }

    [Fact]
    public void BareStateDictWithDataParallelPrefixes_IsImportedWithoutAnEpoch()
    {
        using var temp = new TempFolder();
        var path = temp["prompt_learner.pth"];
        TorchSaveWriter.Write(path,
        [
            ("module.ctx", randn(4, 128)), ("module.token_prefix", randn(3, 1, 128)), ("module.token_suffix", randn(3, 72, 128)),
        ]);

        using var imported = AuthorCheckpointImporter.Read(path);

        Assert.Equal(PromptMethod.CoOp, imported.Config.Method);
        Assert.Null(imported.Epoch);
        Assert.Equal(["prompt_learner.ctx"], imported.Tensors.Keys.ToArray());
    }

    [Fact]
    public void UnknownPromptTensor_IsAnErrorRatherThanDropped()
    {
        using var temp = new TempFolder();
        var path = temp["model.pth.tar-1"];
        TorchSaveWriter.Write(path,
        [
            ("prompt_learner.ctx", randn(2, 128)), ("prompt_learner.proj.weight", randn(192, 128)), ("prompt_learner.proj.bias", randn(192)),
            ("prompt_learner.ctx_space.0", randn(2, 128)), ("image_encoder.transformer.resblocks.1.VPT_extra", randn(2, 192)),
        ], epoch: 1);

        var error = Assert.Throws<InvalidDataException>(() => AuthorCheckpointImporter.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("prompt_learner.ctx_space.0, image_encoder.transformer.resblocks.1.VPT_extra", error.Message);
    }

    [Fact]
    public void ClassSpecificContext_IsNotSupported()
    {
        using var temp = new TempFolder();
        var path = temp["model.pth.tar-1"];
        TorchSaveWriter.Write(path, [("ctx", randn(3, 16, 128)), ("token_prefix", randn(3, 1, 128))], epoch: 1);

        var error = Assert.Throws<InvalidDataException>(() => AuthorCheckpointImporter.Read(path));

        Assert.Contains("'prompt_learner.ctx' has shape [3, 16, 128]", error.Message);
        Assert.Contains("CSC", error.Message);
    }

    [Fact]
    public void InconsistentMapleTensors_AreAnErrorListingThem()
    {
        using var temp = new TempFolder();
        var path = temp["model.pth.tar-1"];
        TorchSaveWriter.Write(path,
        [
            ("prompt_learner.ctx", randn(2, 128)), ("prompt_learner.proj.weight", randn(192, 128)), ("prompt_learner.proj.bias", randn(192)),
            ("prompt_learner.compound_prompts_text.0", randn(2, 128)), ("prompt_learner.compound_prompts_text.1", randn(2, 64)),
            ("prompt_learner.compound_prompt_projections.0.weight", randn(192, 128)), ("prompt_learner.compound_prompt_projections.0.bias", randn(192)),
        ], epoch: 1);

        var error = Assert.Throws<InvalidDataException>(() => AuthorCheckpointImporter.Read(path));

        Assert.Contains("do not form maple prompts (n_ctx 2/2, depth 3/3)", error.Message);
        Assert.Contains("missing prompt_learner.compound_prompt_projections.1.weight, prompt_learner.compound_prompt_projections.1.bias", error.Message);
        Assert.Contains("'prompt_learner.compound_prompts_text.1' is [2, 64], expected [2, 128]", error.Message);
    }

    [Fact]
    public void CheckpointWithoutPrompts_IsAnError()
    {
        using var temp = new TempFolder();
        var path = temp["model.pth.tar-1"];
        TorchSaveWriter.Write(path, [("visual.conv1.weight", randn(8, 3, 4, 4)), ("logit_scale", randn(1))], epoch: 3);

        var error = Assert.Throws<InvalidDataException>(() => AuthorCheckpointImporter.Read(path));

        Assert.Equal($"{path}: no prompt tensors found among its 2 tensors (expected names such as prompt_learner.ctx)", error.Message);
    }

    [Fact]
    public void TorchScriptModel_IsNotMistakenForACheckpoint()
    {
        var path = ImportTestData.File("openai-small.pt");

        var error = Assert.Throws<InvalidDataException>(() => AuthorCheckpointImporter.Read(path));

        Assert.Equal($"{path} is a TorchScript archive (a whole model saved with torch.jit.save), not a checkpoint saved by the authors' trainer", error.Message);
    }

    [Fact]
    public void NonFinitePrompts_AreAnError()
    {
        using var temp = new TempFolder();
        var path = temp["model.pth.tar-1"];
        var ctx = randn(2, 128);
        ctx[1, 5] = tensor(float.NaN);
        TorchSaveWriter.Write(path, [("ctx", ctx)], epoch: 1);

        var error = Assert.Throws<InvalidDataException>(() => AuthorCheckpointImporter.Read(path));

        Assert.Contains("'prompt_learner.ctx' holds NaN or infinite values", error.Message);
    }
}
