using System.Text.Json.Nodes;
using Maple.Clip;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

/// <summary>Loading the checkpoint layouts people have, and every way a checkpoint can be wrong.</summary>
public sealed class ClipWeightLoadingTests : IDisposable
{
    readonly CheckpointFiles _files = new();

    [Fact]
    public void OpenAILayoutLoadsWithItsOpenClipConfigAndIdenticalFeatures()
    {
        using var scope = NewDisposeScope();
        var folder = _files.OpenClipFolder("openai", CheckpointFiles.ToOpenAI(CheckpointFiles.FixtureTensors()));
        var path = Path.Combine(folder, "open_clip_model.safetensors");

        using var openAI = ClipModel.Load(path, Precision.Fp32);
        using var huggingFace = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);

        var expected = new ClipConfig(
            new ClipTextConfig(49408, 128, 3, 2, 512, 77, "quick_gelu", 1e-5),
            new ClipVisionConfig(192, 3, 3, 768, 224, 32, "quick_gelu", 1e-5),
            64);
        Assert.Equal(expected, openAI.Config);
        var (image, text) = CheckpointFiles.Features(huggingFace);
        var (openAIImage, openAIText) = CheckpointFiles.Features(openAI);
        Assert.True(openAIImage.isfinite().all().item<bool>() && openAIText.isfinite().all().item<bool>());
        Assert.Equal(0.0, CheckpointFiles.MaxDifference(image, openAIImage));
        Assert.Equal(0.0, CheckpointFiles.MaxDifference(text, openAIText));
    }

    [Fact]
    public void OpenAILayoutMissingKeyIsListed()
    {
        using var scope = NewDisposeScope();
        var tensors = CheckpointFiles.ToOpenAI(CheckpointFiles.FixtureTensors());
        tensors.Remove("ln_final.bias");
        var path = Path.Combine(_files.OpenClipFolder("openai-missing", tensors), "open_clip_model.safetensors");

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32));
        Assert.Contains(path, error.Message);
        Assert.Contains("missing keys (1): ln_final.bias", error.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void HalfPrecisionWeightsLoadCloseToFp32(ScalarType stored)
    {
        using var scope = NewDisposeScope();
        var folder = _files.HuggingFaceFolder("half", CheckpointFiles.FixtureTensors().Select(t => KeyValuePair.Create(t.Key, t.Value.to(stored))));
        var dtypeName = stored == ScalarType.Float16 ? "F16" : "BF16";
        Assert.All(CheckpointFiles.Header(Path.Combine(folder, "model.safetensors")).Values, e => Assert.Equal(dtypeName, e.DType));

        using var half = ClipModel.Load(folder, Precision.Fp32);
        using var full = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        var (image, text) = CheckpointFiles.Features(full);
        var (halfImage, halfText) = CheckpointFiles.Features(half);
        TensorAssert.RelativeClose(image, halfImage, 1e-2, $"{dtypeName} image features");
        TensorAssert.RelativeClose(text, halfText, 1e-2, $"{dtypeName} text features");
    }

    [Fact]
    public void MissingPathIsNamed()
    {
        var path = Path.Combine(_files.Root, "no-such-model");
        var error = Assert.Throws<FileNotFoundException>(() => ClipModel.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("no such model folder or checkpoint file", error.Message);
    }

    [Fact]
    public void FolderWithoutWeightsIsNamed()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_files.Root, "empty")).FullName;
        File.Copy(CheckpointFiles.FixtureConfig, Path.Combine(folder, "config.json"));
        var error = Assert.Throws<FileNotFoundException>(() => ClipModel.Load(folder));
        Assert.Contains(folder, error.Message);
        Assert.Contains("no model.safetensors", error.Message);
    }

    [Fact]
    public void HuggingFaceWeightsWithoutConfigAreRejected()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_files.Root, "no-config")).FullName;
        var path = Path.Combine(folder, "model.safetensors");
        File.Copy(CheckpointFiles.FixtureWeights, path);
        var error = Assert.Throws<FileNotFoundException>(() => ClipModel.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("config.json", error.Message);
    }

    [Fact]
    public void UnknownExtensionIsNamed()
    {
        var path = Path.Combine(_files.Root, "model.onnx");
        File.WriteAllBytes(path, new byte[64]);
        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("unknown checkpoint format '.onnx'", error.Message);
    }

    [Fact]
    public void MissingKeysAreListed()
    {
        using var scope = NewDisposeScope();
        var tensors = CheckpointFiles.FixtureTensors();
        tensors.Remove("text_projection.weight");
        tensors.Remove("vision_model.encoder.layers.1.self_attn.k_proj.bias");
        var folder = _files.HuggingFaceFolder("missing", tensors);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(folder, Precision.Fp32));
        Assert.Contains(Path.Combine(folder, "model.safetensors"), error.Message);
        Assert.Contains("missing keys (2)", error.Message);
        Assert.Contains("text_projection.weight", error.Message);
        Assert.Contains("vision_model.encoder.layers.1.self_attn.k_proj.bias", error.Message);
    }

    [Fact]
    public void UnexpectedKeysAreListed()
    {
        using var scope = NewDisposeScope();
        var tensors = CheckpointFiles.FixtureTensors();
        tensors["text_model.encoder.layers.0.self_attn.rotary.weight"] = zeros(4);
        tensors["text_model.embeddings.position_ids"] = arange(77).unsqueeze(0); // ignorable, never reported
        var folder = _files.HuggingFaceFolder("unexpected", tensors);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(folder, Precision.Fp32));
        Assert.Contains(Path.Combine(folder, "model.safetensors"), error.Message);
        Assert.Contains("unexpected keys (1): text_model.encoder.layers.0.self_attn.rotary.weight", error.Message);
        Assert.DoesNotContain("position_ids", error.Message);
    }

    [Fact]
    public void ShapeMismatchNamesKeyExpectedAndFound()
    {
        using var scope = NewDisposeScope();
        var tensors = CheckpointFiles.FixtureTensors();
        tensors["text_projection.weight"] = zeros(64, 127);
        var folder = _files.HuggingFaceFolder("shape", tensors);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(folder, Precision.Fp32));
        Assert.Contains(Path.Combine(folder, "model.safetensors"), error.Message);
        Assert.Contains("shape mismatch for 'text_projection.weight'", error.Message);
        Assert.Contains("expects [64, 128]", error.Message);
        Assert.Contains("have [64, 127]", error.Message);
    }

    [Fact]
    public void ConfigContradictingTheWeightsNamesBothFiles()
    {
        using var scope = NewDisposeScope();
        var config = JsonNode.Parse(File.ReadAllText(CheckpointFiles.FixtureConfig))!.AsObject();
        config["projection_dim"] = 32;
        var folder = _files.HuggingFaceFolder("wrong-config", CheckpointFiles.FixtureTensors(), config.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(folder, Precision.Fp32));
        Assert.Contains(Path.Combine(folder, "model.safetensors"), error.Message);
        Assert.Contains(Path.Combine(folder, "config.json"), error.Message);
        Assert.Contains("expects [32, ", error.Message);
        Assert.Contains("have [64, ", error.Message);
    }

    [Fact]
    public void ConfigWithFewerLayersThanTheWeightsListsTheExtraKeys()
    {
        using var scope = NewDisposeScope();
        var config = JsonNode.Parse(File.ReadAllText(CheckpointFiles.FixtureConfig))!.AsObject();
        config["vision_config"]!["num_hidden_layers"] = 2;
        var folder = _files.HuggingFaceFolder("fewer-layers", CheckpointFiles.FixtureTensors(), config.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(folder, Precision.Fp32));
        Assert.Contains(Path.Combine(folder, "config.json"), error.Message);
        Assert.Contains("unexpected keys (16)", error.Message);
        Assert.Contains("vision_model.encoder.layers.2.", error.Message);
    }

    [Fact]
    public void TruncatedDataIsReported()
    {
        var length = new FileInfo(CheckpointFiles.FixtureWeights).Length;
        var path = _files.Truncated("truncated.safetensors", CheckpointFiles.FixtureWeights, length - 1000);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32));
        Assert.Contains(path, error.Message);
        Assert.Contains("lies outside the file", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void TruncatedHeaderIsReported()
    {
        var path = _files.Truncated("header-cut.safetensors", CheckpointFiles.FixtureWeights, 100);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
        Assert.Contains("file length 100", error.Message);
    }

    [Theory]
    [InlineData(50_000_000L)]
    [InlineData(1L << 62)]
    public void HeaderLengthBeyondTheFileFailsBeforeAllocating(long headerLength)
    {
        var path = _files.RawSafetensors("huge-header.safetensors", headerLength, "{}", new byte[16]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(path, error.Message);
        Assert.Contains($"header length {headerLength}", error.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated before rejecting the header");
    }

    [Fact]
    public void UnsupportedDTypeIsNamed()
    {
        const string header = """{"text_model.embeddings.token_embedding.weight":{"dtype":"F8_E4M3","shape":[2,2],"data_offsets":[0,4]}}""";
        var path = _files.RawSafetensors("fp8.safetensors", header.Length, header, new byte[4]);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32));
        Assert.Contains(path, error.Message);
        Assert.Contains("'text_model.embeddings.token_embedding.weight' has unsupported dtype F8_E4M3", error.Message);
    }

    [Fact]
    public void MalformedHeaderJsonIsReported()
    {
        const string header = """{"logit_scale":{"dtype":"F32","shape":[],"data_offsets":[0,4]""";
        var path = _files.RawSafetensors("malformed.safetensors", header.Length, header, new byte[4]);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32));
        Assert.Contains(path, error.Message);
        Assert.Contains("malformed safetensors header", error.Message);
    }

    [Fact]
    public void HeaderThatIsNotAnObjectIsReported()
    {
        const string header = "[1, 2, 3]";
        var path = _files.RawSafetensors("array.safetensors", header.Length, header, []);

        var error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32));
        Assert.Contains(path, error.Message);
        Assert.Contains("malformed safetensors header", error.Message);
    }

    public void Dispose() => _files.Dispose();
}
