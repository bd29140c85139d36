using Maple.Clip;
using Maple.Evaluation;
using static TorchSharp.torch;

namespace Maple.Tests.ZeroShot;

public sealed class EnsemblingTests : IDisposable
{
    readonly TinyZeroShot _case = new();

    [Fact]
    public void TwoTemplatesGiveTheRenormalisedMeanOfNormalisedFeatures()
    {
        using var scope = NewDisposeScope();
        string[] templates = ["a photo of a {}.", "a blurry drawing of the {}, seen from far away."];
        using var classifier = new ZeroShotClassifier(_case.Features, _case.ClassNames, templates, textBatchSize: 3);

        using var _ = no_grad();
        var perTemplate = templates.Select(t =>
        {
            var prompts = _case.ClassNames.Select(c => t.Replace("{}", c.Replace('_', ' '))).ToList();
            var features = _case.Model.EncodeText(_case.Tokenizer.Tokenize(prompts));
            return features / features.norm(-1, keepdim: true);
        }).ToList();
        var mean = (perTemplate[0] + perTemplate[1]) / 2;
        var expected = mean / mean.norm(-1, keepdim: true);

        TensorAssert.RelativeClose(expected, classifier.TextFeatures, 1e-5, "ensembled text features");
        var norms = classifier.TextFeatures.norm(-1);
        Assert.True((norms - 1).abs().max().item<float>() < 1e-5, "rows are unit length");

        var images = _case.Inputs.Read("images")[0];
        var imageFeatures = ClipModel.Normalize(_case.Model.EncodeImage(images));
        var logits = _case.Model.LogitScale.exp() * imageFeatures.matmul(expected.t());
        TensorAssert.RelativeClose(logits, classifier.Logits(images), 1e-5, "ensembled logits");
    }

    [Fact]
    public void ProgressCoversEveryPromptOfEveryTemplate()
    {
        using var scope = NewDisposeScope();
        var reports = new List<BatchProgress>();
        using var classifier = new ZeroShotClassifier(_case.Features, _case.ClassNames, ["a {}.", "the {}!"], textBatchSize: 4,
            progress: new ListProgress(reports));
        Assert.Equal([4, 8, 10, 14, 18, 20], reports.Select(r => r.Done).ToArray());
        Assert.All(reports, r => Assert.Equal(20, r.Total));
    }

    [Fact]
    public void UnderscoresBecomeSpacesInThePromptsOnly()
    {
        using var scope = NewDisposeScope();
        using var classifier = new ZeroShotClassifier(_case.Features, _case.ClassNames);
        Assert.Contains("a photo of a sea lion.", classifier.Prompts(0));
        Assert.Contains("sea_lion", classifier.ClassNames);
    }

    [Fact]
    public void BadClassListsAndTemplatesAreRefused()
    {
        Assert.Throws<UserInputException>(() => new ZeroShotClassifier(_case.Features, []));
        Assert.Throws<UserInputException>(() => new ZeroShotClassifier(_case.Features, ["cat", " "]));
        Assert.Throws<UserInputException>(() => new ZeroShotClassifier(_case.Features, ["cat"], []));
        var error = Assert.Throws<UserInputException>(() => new ZeroShotClassifier(_case.Features, ["cat"], ["a photo of a cat."]));
        Assert.Contains("a photo of a cat.", error.Message);
    }

    public void Dispose() => _case.Dispose();

    sealed class ListProgress(List<BatchProgress> reports) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => reports.Add(value);
    }
}
