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
}
