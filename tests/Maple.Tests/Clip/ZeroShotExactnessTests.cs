using Maple.Clip;
using Maple.Clip.Safetensors;
using static TorchSharp.torch;

namespace Maple.Tests.Clip;

public sealed class ZeroShotExactnessTests
{
    [Fact]
    public void FeaturesAndLogitsMatchReferenceInFp32()
    {
        using var scope = NewDisposeScope();
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Fp32);
        using var expected = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "zeroshot.safetensors"));
        using var inputs = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "inputs.safetensors"));
        var images = inputs.Read("images")[0];

        using var _ = no_grad();
        var imageFeatures = model.EncodeImage(images);
        var textFeatures = model.EncodeText(expected.Read("token_ids"));
        var logits = model.Logits(imageFeatures, textFeatures);

        TensorAssert.RelativeClose(expected.Read("image_features"), imageFeatures, 1e-5, "image_features");
        TensorAssert.RelativeClose(expected.Read("text_features"), textFeatures, 1e-5, "text_features");
        TensorAssert.RelativeClose(expected.Read("logits"), logits, 1e-5, "logits");
    }

    [Fact]
    public void Bf16KeepsTheTop1AndStaysWithinThreePercent()
    {
        using var scope = NewDisposeScope();
        using var model = ClipModel.Load(Fixtures.TinyMapleModel, Precision.Bf16);
        Assert.Equal(Precision.Bf16, model.Precision);
        using var expected = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "zeroshot.safetensors"));
        using var inputs = SafetensorsFile.Open(Path.Combine(Fixtures.TinyMaple, "inputs.safetensors"));

        using var _ = no_grad();
        var logits = model.Logits(model.EncodeImage(inputs.Read("images")[0]), model.EncodeText(expected.Read("token_ids")));
        var reference = expected.Read("logits");
        Assert.True(reference.argmax(1).equal(logits.argmax(1)).all().item<bool>());
        TensorAssert.RelativeClose(reference, logits, 0.03, "bf16 logits");
    }
}
