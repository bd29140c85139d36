using System.Text.Json;
using Maple.Clip;
using Maple.Clip.Checkpoints;
using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Tests.Training;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Tests.Import;

/// <summary>Importing MaPLe checkpoints saved by the authors' code (Dassl's layout), and using the result.</summary>
public sealed class MapleImportTests
{
    static readonly string[] MapleNames =
    [
        "prompt_learner.ctx", "prompt_learner.proj.weight", "prompt_learner.proj.bias",
        "prompt_learner.compound_prompts_text.0", "prompt_learner.compound_prompts_text.1",
        "prompt_learner.compound_prompt_projections.0.weight", "prompt_learner.compound_prompt_projections.0.bias",
        "prompt_learner.compound_prompt_projections.1.weight", "prompt_learner.compound_prompt_projections.1.bias",
    ];

    static string AuthorsMaple => ImportTestData.File("authors-maple.pth.tar-5");

    [Fact]
    public void AuthorsCheckpoint_TensorsAreTheOriginalsInFp32()
    {
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];

        using (var imported = AuthorCheckpointImporter.Import(AuthorsMaple, output, new AuthorImportOptions()))
        {
            Assert.Equal(PromptConfig.Maple(nCtx: 2, depth: 3, ctxInit: "a photo of a"), imported.Config);
            Assert.Equal(5L, imported.Epoch);
            Assert.Equal(128, imported.Widths.Text!.Value);
            Assert.Equal(192, imported.Widths.Vision!.Value);
            Assert.Equal("prompt_learner.proj.weight", imported.Widths.Vision.Tensor);
            Assert.Null(imported.Widths.Embed);
        }

        var expected = ImportTestData.Expected("authors-maple.expected.json").GetProperty("state_dict");
        var originals = TorchCheckpointReader.LoadStateDict(AuthorsMaple);
        using var file = SafetensorsFile.Open(output);
        try
        {
            Assert.Equal(MapleNames, file.Entries.Keys.ToArray());
            // The authors keep ctx and proj in fp16, the deeper prompts in fp32.
            Assert.Equal(ScalarType.Float16, originals["prompt_learner.ctx"].dtype);
            Assert.Equal(ScalarType.Float16, originals["prompt_learner.proj.weight"].dtype);
            Assert.Equal(ScalarType.Float32, originals["prompt_learner.compound_prompt_projections.0.weight"].dtype);
            foreach (var name in MapleNames)
            {
                using var tensor = file.Read(name);
                Assert.Equal(ScalarType.Float32, tensor.dtype);
                using var original = originals[name].to(ScalarType.Float32);
                Assert.True(ImportTestData.Same(tensor, original), $"{name} differs from the checkpoint");
                ImportTestData.AssertSummary(expected.GetProperty(name), tensor, name);
            }
        }
        finally
        {
            foreach (var tensor in originals.Values)
                tensor.Dispose();
        }
    }

    [Fact]
    public void AuthorsCheckpoint_MetadataDescribesThePromptsAndTheirSource()
    {
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        using (AuthorCheckpointImporter.Import(AuthorsMaple, output, new AuthorImportOptions())) { }

        using var file = SafetensorsFile.Open(output);
        var m = file.Metadata;
        Assert.Equal("maple", m["method"]);
        Assert.Equal("2", m["n_ctx"]);
        Assert.Equal("2", m["n_ctx_vision"]);
        Assert.Equal("3", m["text_depth"]);
        Assert.Equal("3", m["vision_depth"]);
        Assert.Equal("a photo of a", m["ctx_init"]);
        Assert.Equal("a photo of a", m["prompt_prefix"]);
        Assert.Equal("5", m["epoch"]);
        Assert.Equal(Path.GetFullPath(AuthorsMaple), m["source"]);
        Assert.Equal("MaPLe/Dassl checkpoint", m["imported_from"]);
        Assert.Equal("maple-prompts", m["format"]);
        Assert.Equal("128", m["text_width"]);
        Assert.Equal("192", m["vision_width"]);
        Assert.False(m.ContainsKey("classnames"));
        Assert.False(m.ContainsKey("backbone"));
        Assert.False(m.ContainsKey("backbone_config_hash"));
    }

    [Fact]
    public void AuthorsCheckpoint_ClassBuffersAndFrozenBackboneAreDropped()
    {
        using var imported = AuthorCheckpointImporter.Read(AuthorsMaple);

        var dropped = imported.Entries.Where(e => !e.Imported).ToDictionary(e => e.Name, e => e.Dropped);
        Assert.StartsWith("class-dependent buffer", dropped["prompt_learner.token_prefix"]);
        Assert.StartsWith("class-dependent buffer", dropped["prompt_learner.token_suffix"]);
        Assert.Equal([10L, 1, 128], imported.Entries.Single(e => e.Name == "prompt_learner.token_prefix").Shape);
        Assert.Equal([10L, 74, 128], imported.Entries.Single(e => e.Name == "prompt_learner.token_suffix").Shape);
        Assert.Equal("frozen backbone", dropped["logit_scale"]);
        Assert.Equal("frozen backbone", dropped["image_encoder.ln_post.weight"]);
        Assert.Equal("frozen backbone", dropped["text_encoder.class_embedding"]);
        Assert.Equal(MapleNames, imported.Entries.Where(e => e.Imported).Select(e => e.Name).ToArray());
        Assert.Equal(MapleNames, imported.Tensors.Keys.ToArray());
    }

    [Fact]
    public void ImportedPrompts_LoadIntoALearnerOnTheTinyModelAndGiveFiniteLogits()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        using (AuthorCheckpointImporter.Import(AuthorsMaple, output, new AuthorImportOptions())) { }
        using var fixture = new TinyMapleCase();

        using var checkpoint = PromptCheckpoint.Read(output);
        using var learner = checkpoint.CreateLearner(fixture.Clip, fixture.Tokenizer);
        Assert.IsType<MapleLearner>(learner);
        Assert.Equal("a photo of a", learner.PromptPrefix);
        foreach (var (name, parameter) in learner.Parameters)
            Assert.True(ImportTestData.Same(parameter, checkpoint.Tensors[name]), name);

        using var prompted = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
        using var _ = no_grad();
        var logits = prompted.Logits(fixture.Images(0));
        Assert.Equal([4L, 10], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void FixturePromptsInTheAuthorsLayout_GiveTheReferenceLogits()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var classes = temp["classes.txt"];
        File.WriteAllLines(classes, fixture.ClassNames);
        var output = temp["prompt.safetensors"];

        var options = new AuthorImportOptions
        {
            CtxInit = "a photo of a",
            ClassNames = fixture.ClassNames,
            Backbone = fixture.Clip.Config,
            BackboneId = Fixtures.TinyMapleModel,
        };
        using (var imported = AuthorCheckpointImporter.Import(ImportTestData.File("tiny-init.pth.tar-1"), output, options))
        {
            Assert.Equal(1L, imported.Epoch);
            Assert.Equal(fixture.Init.Keys.Order(StringComparer.Ordinal), imported.Tensors.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, tensor) in fixture.Init)
                Assert.True(ImportTestData.Same(imported.Tensors[name], tensor), $"{name} differs from init.safetensors");
        }

        using var checkpoint = PromptCheckpoint.Read(output, ctxInit: "ignored: the file says");
        Assert.Equal(fixture.ClassNames, checkpoint.ClassNames);
        Assert.Equal(fixture.Clip.Config.Hash(), checkpoint.Metadata["backbone_config_hash"]);
        Assert.Equal(Fixtures.TinyMapleModel, checkpoint.Metadata["backbone"]);
        using var learner = checkpoint.CreateLearner(fixture.Clip, fixture.Tokenizer);
        using var prompted = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, checkpoint.ClassNames!);

        using var _ = no_grad();
        var logits = prompted.Clip.Logits(prompted.ImageFeatures(fixture.Images(0)), prompted.TextFeatures());
        TensorAssert.RelativeClose(fixture.Expected.Read("logits"), logits, 1e-4, "logits");
    }

    [Fact]
    public void ImportedWithABackbone_RefusesAnotherBackbone()
    {
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        using var tiny = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var options = new AuthorImportOptions { Backbone = tiny.Config, BackboneId = "tiny" };
        using (AuthorCheckpointImporter.Import(AuthorsMaple, output, options)) { }

        // Same widths and depth, another architecture: the recorded config hash tells them apart.
        var other = tiny.Config with { Text = tiny.Config.Text with { IntermediateSize = 256 } };
        using var otherModel = new ClipModel(other, Precision.Fp32);
        using var checkpoint = PromptCheckpoint.Read(output);
        var error = Assert.Throws<InvalidDataException>(() => checkpoint.CreateLearner(otherModel, ClipTokenizer.FromDirectory(Fixtures.TinyMapleModel)));
        Assert.Contains("another backbone", error.Message);
    }

    [Fact]
    public void WidthsThatDoNotFitTheBackbone_AreAnErrorNamingBothAndNothingIsWritten()
    {
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        var tiny = ClipConfig.FromHuggingFaceFile(Path.Combine(Fixtures.TinyMapleModel, "config.json"));
        var wide = tiny with { Text = tiny.Text with { Width = 512, Heads = 8 }, Vision = tiny.Vision with { Width = 768, Heads = 12 } };
        var options = new AuthorImportOptions { Backbone = wide, BackboneId = "openai/clip-vit-base-patch16" };

        var error = Assert.Throws<InvalidDataException>(() => AuthorCheckpointImporter.Import(AuthorsMaple, output, options));

        Assert.Contains(AuthorsMaple, error.Message);
        Assert.Contains("the prompts' text width is 128 (prompt_learner.ctx [2, 128]), openai/clip-vit-base-patch16's is 512", error.Message);
        Assert.Contains("the prompts' vision width is 192 (prompt_learner.proj.weight [192, 128]), openai/clip-vit-base-patch16's is 768", error.Message);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void DepthBeyondTheBackbone_IsAnError()
    {
        using var imported = AuthorCheckpointImporter.Read(AuthorsMaple);
        var tiny = ClipConfig.FromHuggingFaceFile(Path.Combine(Fixtures.TinyMapleModel, "config.json"));
        var shallow = tiny with { Text = tiny.Text with { Layers = 2 }, Vision = tiny.Vision with { Layers = 2 } };

        var error = Assert.Throws<InvalidDataException>(() => imported.CheckBackbone(shallow, "shallow"));

        Assert.Contains("text prompt depth 3 is outside 0..2", error.Message);
    }

    [Fact]
    public void ClassNames_AreRecordedAsJson()
    {
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        string[] names = ["sea_lion", "tabby \"cat\""];
        using (AuthorCheckpointImporter.Import(AuthorsMaple, output, new AuthorImportOptions { ClassNames = names })) { }

        using var checkpoint = PromptCheckpoint.Read(output);
        Assert.Equal(names, checkpoint.ClassNames);
        Assert.Equal(names, JsonSerializer.Deserialize<string[]>(checkpoint.Metadata["classnames"]));
    }

    [Fact]
    public void RefusedPickle_IsReportedAndNothingIsWritten()
    {
        using var temp = new TempFolder();
        var output = temp["prompt.safetensors"];
        var malicious = Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "torch", "malicious-system.pt");
        File.Delete("/tmp/maple-pickle-marker-system");

        var refused = Assert.Throws<UnsafePickleException>(() => AuthorCheckpointImporter.Import(malicious, output, new AuthorImportOptions()));

        Assert.Equal("posix.system", refused.GlobalName);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists("/tmp/maple-pickle-marker-system"));
    }
}
