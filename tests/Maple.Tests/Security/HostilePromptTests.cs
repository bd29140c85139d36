using System.Text.Json;
using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Tests.Prompting;
using static TorchSharp.torch;

namespace Maple.Tests.Security;

/// <summary>Prompt files whose metadata or shapes lie are refused before a learner is built.</summary>
public sealed class HostilePromptTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("maple-hostile-prompts-").FullName;
    readonly TinyMapleCase _fixture = new();

    public void Dispose()
    {
        _fixture.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    internal static Dictionary<string, string> IvlpMetadata() => new()
    {
        ["format"] = "maple-prompts",
        ["method"] = "ivlp",
        ["n_ctx"] = "2",
        ["n_ctx_vision"] = "2",
        ["text_depth"] = "1",
        ["vision_depth"] = "1",
        ["ctx_init"] = "a photo of a",
        ["classnames"] = JsonSerializer.Serialize(new[] { "cat", "dog" }),
    };

    /// <summary>IVLP prompts of depth 1 for the tiny fixture (text width 128, vision width 192).</summary>
    internal static Dictionary<string, Tensor> IvlpTensors() => new()
    {
        ["prompt_learner.ctx"] = ones(2, 128),
        ["image_encoder.VPT"] = ones(2, 192),
    };

    string Write(string name, Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata)
    {
        var path = Path.Combine(_root, name);
        SafetensorsWriter.Write(path, tensors, metadata ?? []);
        foreach (var t in tensors.Values)
            t.Dispose();
        return path;
    }

    Exception Load(string path)
    {
        return Assert.ThrowsAny<Exception>(() =>
        {
            using var checkpoint = PromptCheckpoint.Read(path);
            using var learner = checkpoint.CreateLearner(_fixture.Clip, _fixture.Tokenizer);
        });
    }

    [Fact]
    public void AValidFileLoads()
    {
        var path = Write("ok.safetensors", IvlpTensors(), IvlpMetadata());
        using var checkpoint = PromptCheckpoint.Read(path);
        using var learner = checkpoint.CreateLearner(_fixture.Clip, _fixture.Tokenizer);
        Assert.Equal(["cat", "dog"], checkpoint.ClassNames);
        Assert.Equal(1f, learner.StateDict()["image_encoder.VPT"].mean().item<float>());
    }

    [Fact]
    public void HugeTokenCountsInTheMetadataAllocateNothing()
    {
        var metadata = IvlpMetadata();
        metadata["n_ctx_vision"] = "8000000";
        var path = Write("huge.safetensors", IvlpTensors(), metadata);
        Exception? error = null;
        var growth = MemoryGrowth.Of(() => error = Load(path));
        Assert.IsType<InvalidDataException>(error);
        Assert.Equal($"{path}: 'image_encoder.VPT' has shape [2, 192], expected [8000000, 192] (a file for another backbone width or token count?)", error!.Message);
        // 8e6 tokens of width 192 would be 6 GB of fp32.
        Assert.True(growth.PeakRssBytes < 256 << 20, $"peak RSS grew by {growth.PeakRssBytes} bytes");
    }

    [Fact]
    public void AZeroDimensionalContextIsRefused()
    {
        var path = Write("scalar.safetensors", new() { ["prompt_learner.ctx"] = tensor(1f), ["image_encoder.VPT"] = ones(2, 192) }, null);
        var e = Assert.IsType<InvalidDataException>(Load(path));
        Assert.Equal($"{path}: 'prompt_learner.ctx' has shape [], expected [tokens, width]", e.Message);
    }

    [Theory]
    [InlineData("cat, dog")]
    [InlineData("[1, 2]")]
    [InlineData("[\"cat\", null]")]
    [InlineData("{\"a\": 1}")]
    public void ClassNamesThatAreNotAJsonListOfStringsAreRefused(string classNames)
    {
        var metadata = IvlpMetadata();
        metadata["classnames"] = classNames;
        using var checkpoint = PromptCheckpoint.Read(Write("names.safetensors", IvlpTensors(), metadata));
        var e = Assert.Throws<InvalidDataException>(() => checkpoint.ClassNames);
        Assert.Equal($"{checkpoint.Path}: metadata 'classnames' is not a JSON list of class names; give the class names another way", e.Message);
    }

    [Theory]
    [InlineData("n_ctx", "1e6")]
    [InlineData("n_ctx", "-2")]
    [InlineData("text_depth", "99999999999")]
    [InlineData("method", "rm -rf")]
    public void MetadataValuesMustBeWhatTheySay(string key, string value)
    {
        var metadata = IvlpMetadata();
        metadata[key] = value;
        var e = Assert.IsType<InvalidDataException>(Load(Write("meta.safetensors", IvlpTensors(), metadata)));
        Assert.Contains($"metadata '{key}'", e.Message);
    }

    [Fact]
    public void AnOverflowingShapeIsRefusedBeforeATensorIsMade()
    {
        var path = Path.Combine(_root, "overflow.safetensors");
        var header = """{"prompt_learner.ctx":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}""";
        var bytes = System.Text.Encoding.UTF8.GetBytes(header.PadRight((header.Length + 7) / 8 * 8));
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)bytes.Length), .. bytes]);
        var e = Assert.IsType<InvalidDataException>(Load(path));
        Assert.StartsWith($"{path}: tensor 'prompt_learner.ctx' declares shape [4611686018427387904, 4]", e.Message);

        using var learner = PromptLearners.Create(PromptConfig.CoOp(4), _fixture.Clip, _fixture.Tokenizer, seed: 1);
        Assert.Throws<InvalidDataException>(() => PromptCheckpoint.LoadInto(learner, path));
    }

    [Fact]
    public void InitFilesAreCheckedFromTheirHeader()
    {
        using var learner = PromptLearners.Create(PromptConfig.CoOp(2), _fixture.Clip, _fixture.Tokenizer, seed: 1);
        var wrong = Write("init.safetensors", new() { ["prompt_learner.ctx"] = ones(3, 128) }, null);
        var e = Assert.Throws<InvalidDataException>(() => PromptCheckpoint.LoadInto(learner, wrong));
        Assert.Equal($"{wrong}: 'prompt_learner.ctx' has shape [3, 128], expected [2, 128] (a file for another backbone width or token count?)", e.Message);
        var right = Write("init2.safetensors", new() { ["prompt_learner.ctx"] = full(2, 128, 0.5f) }, null);
        PromptCheckpoint.LoadInto(learner, right);
        Assert.Equal(0.5f, learner.StateDict()["prompt_learner.ctx"].mean().item<float>());
    }

    [Theory]
    [MemberData(nameof(MethodTests.Methods), MemberType = typeof(MethodTests))]
    public void ParameterShapesAreTheLearnersShapes(string name)
    {
        var config = MethodTests.SmallConfig(PromptMethods.Parse(name));
        using var learner = PromptLearners.Create(config, _fixture.Clip, _fixture.Tokenizer, seed: 2);
        var actual = learner.StateDict().ToDictionary(p => p.Key, p => p.Value.shape);
        var expected = PromptLearners.ParameterShapes(learner.Config, _fixture.Clip.Config);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, shape) in expected)
            Assert.Equal(shape, actual[key]);
    }
}
