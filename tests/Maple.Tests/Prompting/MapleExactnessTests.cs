using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Prompting;

/// <summary>MaPLe against the reference PyTorch outputs in tiny-maple/expected_fp32.safetensors.</summary>
public sealed class MapleExactnessTests
{
    const double Tolerance = 1e-4;

    [Fact]
    public void PromptTokensMatchReference()
    {
        using var fixture = new TinyMapleCase();
        using var maple = fixture.CreateMaple();
        Assert.Equal("a photo of a goldfish.", maple.PromptTexts[0]);
        Assert.Equal("a photo of a sea lion.", maple.PromptTexts[2]);
        Assert.True(fixture.Expected.Read("token_ids").equal(maple.TokenIds).all().item<bool>());
        Assert.True(fixture.Expected.Read("eot_index").equal(maple.TokenIds.argmax(-1)).all().item<bool>());
    }

    [Fact]
    public void ForwardAndGradientsMatchReference()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var maple = fixture.CreateMaple();
        var expected = fixture.Expected;

        var textFeatures = maple.TextFeatures();
        var imageFeatures = maple.ImageFeatures(fixture.Images(0));
        var logits = maple.Clip.Logits(imageFeatures, textFeatures);
        var loss = nn.functional.cross_entropy(logits, fixture.Labels(0));
        loss.backward();

        TensorAssert.RelativeClose(expected.Read("text_features"), textFeatures, Tolerance, "text_features");
        TensorAssert.RelativeClose(expected.Read("image_features"), imageFeatures, Tolerance, "image_features");
        TensorAssert.RelativeClose(expected.Read("logits"), logits, Tolerance, "logits");
        TensorAssert.RelativeClose(expected.Read("loss"), loss, Tolerance, "loss");
        foreach (var (name, parameter) in maple.Learner.Parameters)
            TensorAssert.RelativeClose(expected.Read($"grad.{name}"), parameter.grad!, Tolerance, $"grad.{name}");
        Assert.All(maple.Clip.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void ThreeSgdStepsMatchReference()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var maple = fixture.CreateMaple();
        using var sgd = new Sgd(maple.Learner.Parameters, momentum: 0.9, weightDecay: 5e-4);

        var losses = fixture.TrainThreeSteps(maple, sgd, 0.0035);

        TensorAssert.RelativeClose(fixture.Expected.Read("train_losses"), losses, Tolerance, "train_losses");
        foreach (var (name, parameter) in maple.Learner.Parameters)
            TensorAssert.RelativeClose(fixture.Expected.Read($"final.{name}"), parameter, Tolerance, $"final.{name}");
    }
}
