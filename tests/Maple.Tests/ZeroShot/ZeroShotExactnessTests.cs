using Maple.Clip;
using Maple.Evaluation;
using Maple.Prompting;
using static TorchSharp.torch;

namespace Maple.Tests.ZeroShot;

public sealed class ZeroShotExactnessTests : IDisposable
{
    readonly TinyZeroShot _case = new();

    [Fact]
    public void DefaultTemplateMatchesReferenceInFp32()
    {
        using var scope = NewDisposeScope();
        using var classifier = new ZeroShotClassifier(_case.Features, _case.ClassNames);
        var images = _case.Inputs.Read("images")[0];
        var expectedText = _case.Expected.Read("text_features");

        Assert.Equal(_case.Expected.Read("token_ids").data<long>().ToArray(), classifier.TokenIds(0).data<long>().ToArray());
        TensorAssert.RelativeClose(_case.Expected.Read("image_features"), classifier.ImageFeatures(images), 1e-5, "image_features");
        // The classifier keeps its weights normalised; the reference stores them before normalisation.
        TensorAssert.RelativeClose(ClipModel.Normalize(expectedText), classifier.TextFeatures, 1e-5, "text_features (normalised)");
        TensorAssert.RelativeClose(expectedText, _case.Features.TextFeatures(classifier.Prompts(0)), 1e-5, "text_features");
        TensorAssert.RelativeClose(_case.Expected.Read("logits"), classifier.Logits(images), 1e-5, "logits");
    }

    [Fact]
    public void ClassifyGivesSoftmaxAndTopKOfTheReferenceLogits()
    {
        using var scope = NewDisposeScope();
        using var classifier = new ZeroShotClassifier(_case.Features, _case.ClassNames);
        var expected = _case.Expected.Read("logits");
        var predictions = classifier.Classify(_case.Inputs.Read("images")[0], top: 3);

        Assert.Equal(4, predictions.Count);
        var expectedProbabilities = expected.to(ScalarType.Float64).softmax(-1);
        for (var i = 0; i < predictions.Count; i++)
        {
            var p = predictions[i];
            Assert.Null(p.Path);
            TensorAssert.RelativeClose(expected[i], tensor(p.Logits), 1e-5, $"logits[{i}]");
            // d(log p) = dℓ − Σ p·dℓ: an absolute logit error becomes that relative error of the probabilities,
            // so the logits' 1e-5 (relative to max |logit| ≈ 10.6) allows about 1e-4 here; 5e-5 keeps a margin.
            TensorAssert.RelativeClose(expectedProbabilities[i], tensor(p.Probabilities), 5e-5, $"probabilities[{i}]");
            Assert.Equal(1.0, p.Probabilities.Sum(x => (double)x), 5);
            Assert.Equal(3, p.Top.Count);
            var order = Enumerable.Range(0, 10).OrderByDescending(c => p.Probabilities[c]).Take(3).ToArray();
            Assert.Equal(order, p.Top.Select(t => t.Index).ToArray());
            Assert.All(p.Top, t => Assert.Equal(_case.ClassNames[t.Index], t.ClassName));
            Assert.All(p.Top, t => Assert.Equal(p.Probabilities[t.Index], t.Probability));
        }
    }

    [Fact]
    public async Task PretrainedClipConstructorGivesTheSameLogits()
    {
        using var clip = await PretrainedClip.LoadAsync(Fixtures.TinyMapleModel, Precision.Fp32);
        using var scope = NewDisposeScope();
        using var classifier = new ZeroShotClassifier(clip, _case.ClassNames, [PromptTemplates.Default]);
        TensorAssert.RelativeClose(_case.Expected.Read("logits"), classifier.Logits(_case.Inputs.Read("images")[0]), 1e-5, "logits");
    }

    [Fact]
    public void TopIsClampedToTheClassCount()
    {
        using var scope = NewDisposeScope();
        using var classifier = new ZeroShotClassifier(_case.Features, _case.ClassNames);
        var predictions = classifier.Classify(_case.Inputs.Read("images")[0][..1], top: 50);
        Assert.Equal(10, predictions[0].Top.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.Classify(_case.Inputs.Read("images")[0], top: 0));
    }

    public void Dispose() => _case.Dispose();
}
