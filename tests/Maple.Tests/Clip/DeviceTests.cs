using System.CommandLine;
using Maple.Cli;
using Maple.Clip;
using Maple.Prompting;
using Maple.Tests.Prompting;
using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

/// <summary>
/// Devices: names parse, an unavailable CUDA device is the user's one-line error in the library and on every command
/// that loads a model, and models and prompt learners are modules that move whole (no property left on a tensor the
/// move replaced). This machine has no CUDA: the moves are checked with a dtype change, which replaces every tensor
/// the same way a device change does.
/// </summary>
public sealed class DeviceTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void CpuParses(string text) => Assert.Equal(DeviceType.CPU, ComputeDevice.Parse(text).type);

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:one")]
    public void AnUnknownNameIsTheUsersError(string text)
    {
        var error = Assert.Throws<UserInputException>(() => ComputeDevice.Parse(text));
        Assert.Equal($"unknown device '{text}': expected cpu, cuda or cuda:N (N counts from 0)", error.Message);
    }

    [Theory]
    [InlineData("cuda", "cuda:0")]
    [InlineData("cuda:1", "cuda:1")]
    public void CudaWithoutCudaIsTheUsersOneLineError(string text, string name)
    {
        if (cuda.is_available())
            return; // the unavailable case cannot arise here
        var error = Assert.Throws<UserInputException>(() => ComputeDevice.Parse(text));
        Assert.StartsWith($"device {name} is not available: CUDA needs a Maple built with the CUDA backend", error.Message);
        Assert.DoesNotContain("\n", error.Message);
        Assert.DoesNotContain("--", error.Message);
    }

    [Fact]
    public void AModelIsNotCreatedOnAnUnavailableDevice()
    {
        if (cuda.is_available())
            return; // the unavailable case cannot arise here
        var config = ClipWeightsConfig();
        Assert.Throws<UserInputException>(() => new ClipModel(config, Precision.Fp32, new Device(DeviceType.CUDA, 0)));
    }

    [Fact]
    public async Task TheLibrarysLoadTakesTheDeviceAndRefusesAnUnavailableOneBeforeReading()
    {
        if (cuda.is_available())
            return; // the unavailable case cannot arise here
        // A model that does not exist: the device is refused before the model is looked for.
        var error = await Assert.ThrowsAsync<UserInputException>(() =>
            ClipBackbone.LoadAsync(Path.Combine(Path.GetTempPath(), "no-such-model.safetensors"), Precision.Fp32, device: new Device(DeviceType.CUDA, 0)));
        Assert.StartsWith("device cuda:0 is not available: CUDA needs a Maple built with the CUDA backend", error.Message);
        Assert.DoesNotContain("\n", error.Message);
        using var onCpu = await ClipBackbone.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32, device: ComputeDevice.Cpu);
        Assert.Equal(DeviceType.CPU, onCpu.Pretrained.Model.Device.type);
    }

    [Fact]
    public async Task EveryCommandThatLoadsAModelTakesADeviceAndNamesAnUnavailableOneInOneLine()
    {
        if (cuda.is_available())
            return; // the unavailable case cannot arise here
        // import reads only the model's architecture; every other command with --model computes with it.
        var withModel = AllCommands(MapleCommandLine.Create()).Where(c => c.Options.Any(o => o.Name == "--model") && c.Name != "import").ToList();
        Assert.Contains(withModel, c => c.Name == "train");
        Assert.All(withModel, c => Assert.Contains(c.Options, o => o.Name == "--device"));

        var image = Directory.GetFiles(Path.Combine(Fixtures.Preprocess, "images")).Order().First();
        var (code, error) = await CliRunner.RunAsync("zeroshot", "--model", Fixtures.TinyMapleModel, "--class", "a", "--class", "b",
            image, "--device", "cuda");
        Assert.Equal(1, code);
        var line = Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: device cuda:0 is not available", line);
    }

    [Fact]
    public void TheModelMovesWhole()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        var model = fixture.Clip;
        Assert.Equal(DeviceType.CPU, model.Device.type);

        model.to(ScalarType.Float64);

        var registered = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.All(registered.Values, p => Assert.Equal(ScalarType.Float64, p.dtype));
        Assert.Same(registered["logit_scale"], model.LogitScale);
        Assert.Same(registered["visual.conv1"], model.Visual.PatchEmbedding);
        Assert.Same(registered["visual.class_embedding"], model.Visual.ClassEmbedding);
        Assert.Same(registered["visual.positional_embedding"], model.Visual.PositionalEmbedding);
        Assert.Same(registered["visual.proj.weight"], model.Visual.Projection.Weight);
        Assert.Same(registered["text.token_embedding"], model.Text.TokenEmbedding);
        Assert.Same(registered["text.positional_embedding"], model.Text.PositionalEmbedding);
        var block = model.Text.Transformer.Blocks[1];
        Assert.Same(registered["text.transformer.resblocks.1.attn.in_proj.weight"], block.Attention.InProj.Weight);
        Assert.Same(registered["text.transformer.resblocks.1.attn.in_proj.bias"], block.Attention.InProj.Bias);
        Assert.Same(registered["text.transformer.resblocks.1.ln_2.weight"], block.Norm2.Weight);
        Assert.Same(registered["text.transformer.resblocks.1.ln_2.bias"], block.Norm2.Bias);
    }

    [Theory]
    [MemberData(nameof(MethodTests.Methods), MemberType = typeof(MethodTests))]
    public void ALearnerIsAModuleUnderTheAuthorsNamesAndMovesWhole(string name)
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        var config = MethodTests.SmallConfig(PromptMethods.Parse(name));
        using var learner = PromptLearners.Create(config, fixture.Clip, fixture.Tokenizer, seed: 3);
        var expected = PromptLearners.ParameterShapes(config, fixture.Clip.Config);

        var stateDict = learner.state_dict();
        Assert.Equal(expected.Keys.Order(), stateDict.Keys.Order());
        Assert.Equal(learner.Parameters.Select(p => p.Name), learner.StateDict().Keys);
        Assert.All(expected, e => Assert.Equal(e.Value, stateDict[e.Key].shape));
        Assert.All(learner.Parameters, p => Assert.Equal(DeviceType.CPU, p.Value.device.type));

        learner.to(ScalarType.Float64);

        Assert.All(learner.Parameters, p => Assert.Equal(ScalarType.Float64, p.Value.dtype));
        Assert.All(learner.Parameters, p => Assert.True(p.Value.requires_grad));
        if (config.Method is not (PromptMethod.CoCoOp or PromptMethod.ZeroShot) && config.TextTokens > 0)
            Assert.Equal(ScalarType.Float64, learner.TextPrompts()!.Input.dtype);
        if (config.Method == PromptMethod.CoCoOp)
            Assert.Equal(ScalarType.Float64, learner.TextPromptsFor(ones(fixture.Clip.Config.EmbedDim, ScalarType.Float64)).Input.dtype);
        if (learner.VisionPrompts() is { } vision)
            Assert.Equal(ScalarType.Float64, vision.Input.dtype);
    }

    static ClipConfig ClipWeightsConfig() => Maple.Clip.Weights.ClipWeightLoader.ReadConfig(Fixtures.TinyMapleModel);

    static IEnumerable<Command> AllCommands(Command command) => command.Subcommands.SelectMany(c => AllCommands(c).Prepend(c));
}
