using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Maple.Tests.Prompting;

/// <summary>
/// Every baseline against its authors' trainer (muzairkhattak/multimodal-prompt-learning: trainers/coop.py,
/// cocoop.py, independentVL.py, vpt.py, zsclip.py) run in fp32 on the tiny shared CLIP by
/// tools/parity/generate_method_fixtures.py; the fixtures are in TestData/parity. Each method is built from
/// its preset, scaled to the tiny model's 3 layers, as a user would get it. MaPLe's own parity is
/// <see cref="MapleExactnessTests"/>.
/// </summary>
public sealed class AuthorParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-4;
    const int TinyDepth = 3;

    public static TheoryData<string> TrainedMethods => new("coop", "cocoop", "ivlp", "deep-language", "vpt-deep");

    static string FixturePath(string method) =>
        Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "parity", $"{method}.safetensors");

    /// <summary>The method's preset, a deep one's depth scaled to the tiny model, with the fixture's initial parameters.</summary>
    static (PromptedClip Prompted, MethodPreset Preset) Build(TinyMapleCase fixture, SafetensorsFile expected, string method)
    {
        var preset = MethodPreset.Get(method);
        if (preset.IsDeep)
            preset = preset.Adapt(depth: TinyDepth);
        var learner = PromptLearners.Create(preset.Prompts, fixture.Clip, fixture.Tokenizer, seed: 1);
        var init = expected.Entries.Keys.Where(k => k.StartsWith("init.", StringComparison.Ordinal))
            .ToDictionary(k => k["init.".Length..], expected.Read);
        learner.LoadStateDict(init, FixturePath(method));
        return (new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames), preset);
    }

    [Theory]
    [MemberData(nameof(TrainedMethods))]
    public void LogitsLossAndGradientsMatchTheAuthorsTrainer(string method)
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var expected = SafetensorsFile.Open(FixturePath(method));
        var (prompted, _) = Build(fixture, expected, method);
        using var _prompted = prompted;
        using var _learner = prompted.Learner;

        Assert.True(expected.Read("token_ids").equal(prompted.TokenIds).all().item<bool>(), $"{method}: prompt tokens differ");
        var logits = prompted.Logits(fixture.Images(0));
        var loss = nn.functional.cross_entropy(logits, fixture.Labels(0));
        loss.backward();

        Check(expected.Read("logits"), logits, Tolerance, $"{method} logits");
        Check(expected.Read("loss"), loss, Tolerance, $"{method} loss");
        var gradients = expected.Entries.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(gradients.Order(), prompted.Learner.Parameters.Select(p => $"grad.{p.Name}").Order());
        foreach (var (name, parameter) in prompted.Learner.Parameters)
            Check(expected.Read($"grad.{name}"), parameter.grad!, Tolerance, $"{method} grad.{name}");
        Assert.All(fixture.Clip.parameters(), p => Assert.Null(p.grad));
    }

    [Theory]
    [MemberData(nameof(TrainedMethods))]
    public void ThreeSgdStepsMatchTheAuthorsTrainer(string method)
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var expected = SafetensorsFile.Open(FixturePath(method));
        var (prompted, preset) = Build(fixture, expected, method);
        using var _prompted = prompted;
        using var _learner = prompted.Learner;
        using var sgd = new Sgd(prompted.Learner.Parameters, preset.Options.Momentum, preset.Options.WeightDecay);

        var losses = fixture.TrainThreeSteps(prompted, sgd, preset.Options.LearningRate);

        Check(expected.Read("train_losses"), losses, Tolerance, $"{method} train_losses");
        foreach (var (name, parameter) in prompted.Learner.Parameters)
        {
            var (init, final) = (expected.Read($"init.{name}"), expected.Read($"final.{name}"));
            Check(final, parameter, Tolerance, $"{method} final.{name}");
            // The update itself, which a wrong gradient could hide inside the parameter's own scale.
            Check(final - init, parameter - init, Tolerance, $"{method} update of {name}");
        }
    }

    /// <summary>Asserts the fixtures' criterion and logs the measured relative error.</summary>
    void Check(Tensor expected, Tensor got, double tolerance, string name) =>
        output.WriteLine($"{name}: {TensorAssert.RelativeClose(expected, got, tolerance, name):E2}");

    [Fact]
    public void ZeroShotMatchesTheAuthorsZsclip()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var expected = SafetensorsFile.Open(FixturePath("zeroshot"));
        var (prompted, _) = Build(fixture, expected, "zeroshot");
        using var _prompted = prompted;
        using var _learner = prompted.Learner;
        Assert.Empty(prompted.Learner.Parameters);

        Assert.True(expected.Read("token_ids").equal(prompted.TokenIds).all().item<bool>(), "zero-shot prompt tokens differ");
        using var _ = no_grad();
        var logits = prompted.Logits(fixture.Images(0));
        Check(expected.Read("text_features"), Maple.Clip.ClipModel.Normalize(prompted.TextFeatures()), Tolerance, "zeroshot text_features");
        Check(expected.Read("logits"), logits, Tolerance, "zeroshot logits");
        Check(expected.Read("loss"), nn.functional.cross_entropy(logits, fixture.Labels(0)), Tolerance, "zeroshot loss");
    }
}
