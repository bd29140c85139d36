using System.Text.Json.Nodes;
using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Clip.Weights;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

/// <summary>
/// open_clip-layout weights, whose heads and activation only their config says: two small models with
/// features and logits computed by an independent PyTorch CLIP (tools/make_openclip_testdata.py), and the
/// ways a missing or wrong config is refused.
/// </summary>
public sealed class OpenClipConfigTests : IDisposable
{
    readonly TempFolder _temp = new();

    static string Folder(string model) => Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "openclip", model);

    static string Weights(string model) => Path.Combine(Folder(model), "open_clip_model.safetensors");

    static string Config(string model) => Path.Combine(Folder(model), OpenClipConfig.FileName);

    [Fact]
    public void GeluModel_MatchesThePyTorchReference()
    {
        using var model = ClipModel.Load(Weights("gelu"), Precision.Fp32);

        Assert.Equal("gelu", model.Config.Text.Activation);
        Assert.Equal("gelu", model.Config.Vision.Activation);
        Assert.Equal(2, model.Config.Vision.Heads); // 128 / open_clip's default head_width 64
        Assert.Equal(2, model.Config.Text.Heads); // text_cfg.heads: 32 wide, not OpenAI's 64
        Assert.Equal([0.5f, 0.5f, 0.5f], model.Normalization.Mean);
        AssertMatchesReference(model, "gelu");
    }

    [Fact]
    public void HeadWidth80Model_LoadedFromItsFolder_MatchesThePyTorchReference()
    {
        using var model = ClipModel.Load(Folder("head-width-80"), Precision.Fp32);

        var expected = new ClipConfig(
            new ClipTextConfig(VocabularySize: 300, Width: 64, Layers: 2, Heads: 4, IntermediateSize: 256, ContextLength: 16, "quick_gelu", 1e-5),
            new ClipVisionConfig(Width: 160, Layers: 2, Heads: 2, IntermediateSize: 400, ImageSize: 28, PatchSize: 14, "quick_gelu", 1e-5),
            EmbedDim: 48);
        Assert.Equal(expected, model.Config);
        AssertMatchesReference(model, "head-width-80");
    }

    [Fact]
    public void HeadsAreNotDerivableFromTheWeights_OtherHeadsGiveOtherFeatures()
    {
        // The same weights read as heads 40 wide: every shape fits, the features do not.
        var config = JsonNode.Parse(File.ReadAllText(Config("head-width-80")))!.AsObject();
        config["model_cfg"]!["vision_cfg"]!["head_width"] = 40;
        var path = _temp["head-width-40.json"];
        File.WriteAllText(path, config.ToJsonString());
        using var model = ClipModel.Load(Weights("head-width-80"), Precision.Fp32, path);
        using var expected = SafetensorsFile.Open(Path.Combine(Folder("head-width-80"), "expected.safetensors"));
        using var scope = NewDisposeScope();
        using var _ = no_grad();

        var image = model.EncodeImage(expected.Read("pixels"));

        var difference = (image - expected.Read("image_features")).abs().max().item<float>();
        var scale = expected.Read("image_features").abs().max().item<float>();
        Assert.True(difference > 0.05 * scale, $"heads 40 wide changed the image features by only {difference} (scale {scale})");
    }

    [Fact]
    public void WeightsWithoutAConfig_AreRefusedWithHowToGiveOne()
    {
        var path = _temp["ViT-gelu.safetensors"];
        File.Copy(Weights("gelu"), path);

        var error = Assert.Throws<ArchitectureUnknownException>(() => ClipModel.Load(path, Precision.Fp32));

        Assert.StartsWith($"{path}: its attention heads and MLP activation are not in the file", error.Message);
        Assert.Contains("put the model's open_clip_config.json beside it, or give its config file explicitly", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void ExplicitConfig_LoadsWeightsThatHaveNoneBesideThem()
    {
        var path = _temp["ViT-gelu.safetensors"];
        File.Copy(Weights("gelu"), path);

        using var model = ClipModel.Load(path, Precision.Fp32, Config("gelu"));

        AssertMatchesReference(model, "gelu");
    }

    [Fact]
    public void BareModelConfig_AsInOpenClipsModelConfigsFolder_IsRead()
    {
        // open_clip's model_configs/*.json hold what open_clip_config.json keeps under model_cfg.
        var full = JsonNode.Parse(File.ReadAllText(Config("head-width-80")))!.AsObject();
        var path = _temp["ViT-tiny-80.json"];
        File.WriteAllText(path, full["model_cfg"]!.ToJsonString());

        Assert.Equal(ClipWeightLoader.ReadConfig(Folder("head-width-80")), ClipWeightLoader.ReadConfig(Weights("head-width-80"), path));
    }

    [Fact]
    public void ConfigContradictingTheWeights_NamesBothFilesAndTheSize()
    {
        var config = JsonNode.Parse(File.ReadAllText(Config("head-width-80")))!.AsObject();
        config["model_cfg"]!["vision_cfg"]!["width"] = 240;
        config["model_cfg"]!["vision_cfg"]!["mlp_ratio"] = 4.0;
        var path = _temp["wrong.json"];
        File.WriteAllText(path, config.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(Weights("head-width-80"), Precision.Fp32, path));

        Assert.Equal($"{path} does not describe {Weights("head-width-80")}: vision width 240 in the config, 160 in the weights; "
            + "vision MLP width 960 in the config, 400 in the weights", error.Message);
    }

    [Theory]
    [InlineData("vision_cfg", "ls_init_value", "1e-05", "'vision_cfg.ls_init_value' is 1e-05: Maple builds the plain CLIP ViT, which needs null here")]
    [InlineData("text_cfg", "hf_model_name", "\"xlm-roberta-base\"", "'text_cfg.hf_model_name' is \"xlm-roberta-base\"")]
    [InlineData("vision_cfg", "timm_model_name", "\"vit_base_patch16_224\"", "'vision_cfg.timm_model_name'")]
    [InlineData("text_cfg", "pool_type", "\"last\"", "'text_cfg.pool_type' is \"last\"")]
    [InlineData("vision_cfg", "widht", "128", "unknown option 'vision_cfg.widht'")]
    [InlineData("vision_cfg", "layers", "[3, 4, 6, 3]", "the image tower is a ResNet")]
    [InlineData("vision_cfg", "head_width", "48", "vision_cfg.width 128 is not a multiple of vision_cfg.head_width 48")]
    public void ConfigOfAnotherArchitecture_IsRefusedByName(string tower, string key, string value, string message)
    {
        var config = JsonNode.Parse(File.ReadAllText(Config("gelu")))!.AsObject();
        config["model_cfg"]![tower]![key] = JsonNode.Parse(value);
        var path = _temp["other.json"];
        File.WriteAllText(path, config.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(Weights("gelu"), Precision.Fp32, path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void OpenClipDefaults_AreOpenClipsOwn()
    {
        // CLIPVisionCfg / CLIPTextCfg defaults: ViT-B/16 widths, head_width 64, mlp_ratio 4, GELU unless quick_gelu.
        var path = _temp["defaults.json"];
        File.WriteAllText(path, """{"embed_dim": 512, "vision_cfg": {}, "text_cfg": {}}""");

        var config = OpenClipConfig.ReadFile(path);

        Assert.Equal(new ClipConfig(
            new ClipTextConfig(49408, 512, 12, 8, 2048, 77, "gelu", 1e-5),
            new ClipVisionConfig(768, 12, 12, 3072, 224, 16, "gelu", 1e-5),
            512), config);
    }

    [Fact]
    public async Task Cli_RefusesWeightsWithoutAConfigNamingTheOption_AndLoadsThemWithIt()
    {
        var path = _temp["ViT-gelu.safetensors"];
        File.Copy(Weights("gelu"), path);
        var images = Path.Combine(Fixtures.Preprocess, "images", "astronaut.png");
        string[] common = ["embed", "-m", path, "--tokenizer", Fixtures.Tokenizer, images, "--precision", "fp32", "-o", _temp["features.safetensors"]];

        var (refused, error) = await CliRunner.RunAsync(common);
        var (loaded, loadError) = await CliRunner.RunAsync([.. common, "--config", Config("gelu")]);

        Assert.Equal(1, refused);
        Assert.StartsWith($"error: {path}: its attention heads and MLP activation are not in the file", error);
        Assert.EndsWith("give its config file explicitly (--config FILE)", error.TrimEnd());
        Assert.True(loaded == 0, loadError);
    }

    static void AssertMatchesReference(ClipModel model, string name)
    {
        using var expected = SafetensorsFile.Open(Path.Combine(Folder(name), "expected.safetensors"));
        using var scope = NewDisposeScope();
        using var _ = no_grad();

        var image = model.EncodeImage(expected.Read("pixels"));
        var text = model.EncodeText(expected.Read("token_ids"));
        var logits = model.LogitScale.exp() * nn.functional.normalize(image, dim: -1).matmul(nn.functional.normalize(text, dim: -1).t());

        TensorAssert.RelativeClose(expected.Read("image_features"), image, 1e-5, $"{name} image_features");
        TensorAssert.RelativeClose(expected.Read("text_features"), text, 1e-5, $"{name} text_features");
        TensorAssert.RelativeClose(expected.Read("logits"), logits, 1e-5, $"{name} logits");
    }

    public void Dispose() => _temp.Dispose();
}
