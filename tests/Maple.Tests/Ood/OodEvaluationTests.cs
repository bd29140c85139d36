using Maple.Evaluation.Ood;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Tests.Training;

namespace Maple.Tests.Ood;

/// <summary>The library entry point that scores one model, prompts, ID set and OOD sets.</summary>
public sealed class OodEvaluationTests
{
    [Fact]
    public void McmNeedsTwoIdClasses()
    {
        using var temp = new TempFolder();
        var flat = temp["flat"];
        Directory.CreateDirectory(flat);
        File.Copy(Path.Combine(Fixtures.Preprocess, "images", "coffee.png"), Path.Combine(flat, "coffee.png"));
        var data = OodData.Open(flat);
        Assert.Equal(["flat"], data.ClassNames);
        using var fixture = new TinyMapleCase();
        using var learner = PromptLearners.Create(PromptConfig.ZeroShot(), fixture.Clip, fixture.Tokenizer, 0);
        var sets = new[] { new NamedDataset("flat", data) };
        var error = Assert.Throws<UserInputException>(() => OodEvaluation.Run(fixture.Clip, learner, fixture.Tokenizer, data, sets,
            new OodScoreOptions(OodScore.Mcm)));
        Assert.Contains("needs at least 2 ID classes", error.Message);
        // Max-logit has no softmax and works with one class.
        var result = OodEvaluation.Run(fixture.Clip, learner, fixture.Tokenizer, data, sets,
            new OodScoreOptions(OodScore.MaxLogit));
        Assert.Equal(0.5, result.Average.Auroc, 12); // the same image on both sides
    }
}
