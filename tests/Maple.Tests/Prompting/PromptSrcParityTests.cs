using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Maple.Tests.Prompting;

/// <summary>
/// PromptSRC against its authors' trainer (muzairkhattak/PromptSRC, trainers/promptsrc.py) run in fp32 on the tiny
/// shared CLIP by tools/parity/generate_promptsrc_fixtures.py (TestData/parity/promptsrc.safetensors): the
/// <c>promptsrc</c> preset scaled to the tiny model's 3 layers, with the fixture's initial prompts, through
/// <see cref="SelfRegularizer"/> and <see cref="PromptAggregate"/>.
/// </summary>
public sealed class PromptSrcParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-4;

    static readonly string FixturePath = Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "parity", "promptsrc.safetensors");

    static PromptedClip Build(TinyMapleCase fixture, SafetensorsFile expected, out MethodPreset preset)
    {
        preset = MethodPreset.Get("promptsrc").Adapt(depth: 3);
        var learner = PromptLearners.Create(preset.Prompts, fixture.Clip, fixture.Tokenizer, seed: 1);
        var init = expected.Entries.Keys.Where(k => k.StartsWith("init.", StringComparison.Ordinal))
            .ToDictionary(k => k["init.".Length..], expected.Read);
        learner.LoadStateDict(init, FixturePath);
        return new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, fixture.ClassNames);
    }

    [Fact]
    public void LogitsEveryLossTermAndGradientsMatchTheAuthorsTrainer()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var expected = SafetensorsFile.Open(FixturePath);
        using var prompted = Build(fixture, expected, out var preset);
        using var learner = prompted.Learner;
        Assert.True(expected.Read("token_ids").equal(prompted.TokenIds).all().item<bool>(), "prompt tokens differ");
        using var regularizer = new SelfRegularizer(prompted, preset.Options.SelfRegularization!);

        Check(expected.Read("frozen_text_features"), regularizer.FrozenTextFeatures, "frozen_text_features");
        using (no_grad())
        {
            Check(expected.Read("logits"), prompted.Logits(fixture.Images(0)), "eval logits");
            Check(expected.Read("frozen_image_features"), ClipModel.Normalize(fixture.Clip.EncodeImage(fixture.Images(0))), "frozen_image_features");
        }

        var loss = regularizer.Loss(fixture.Images(0), fixture.Labels(0));
        loss.Total.backward();
        Check(expected.Read("logits"), loss.Logits, "train logits");
        Check(expected.Read("loss_ce"), loss.CrossEntropy, "loss_ce");
        Check(expected.Read("loss_text"), loss.Text, "loss_text");
        Check(expected.Read("loss_image"), loss.Image, "loss_image");
        Check(expected.Read("loss_logits"), loss.LogitsKl, "loss_logits");
        Check(expected.Read("loss"), loss.Total, "loss");
        var gradients = expected.Entries.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).Order();
        Assert.Equal(gradients, prompted.Learner.Parameters.Select(p => $"grad.{p.Name}").Order());
        foreach (var (name, parameter) in prompted.Learner.Parameters)
            Check(expected.Read($"grad.{name}"), parameter.grad!, $"grad.{name}");
        Assert.All(fixture.Clip.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void ThreeSgdStepsMatchTheAuthorsTrainer()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var expected = SafetensorsFile.Open(FixturePath);
        using var prompted = Build(fixture, expected, out var preset);
        using var learner = prompted.Learner;
        using var regularizer = new SelfRegularizer(prompted, preset.Options.SelfRegularization!);
        using var sgd = new Sgd(learner.Parameters, preset.Options.Momentum, preset.Options.WeightDecay);

        var losses = new float[3];
        for (var step = 0; step < 3; step++)
            losses[step] = Step(fixture, regularizer, sgd, step, preset.Options.LearningRate);

        Check(expected.Read("train_losses"), tensor(losses), "train_losses");
        foreach (var (name, parameter) in learner.Parameters)
        {
            var (init, final) = (expected.Read($"init.{name}"), expected.Read($"final.{name}"));
            Check(final, parameter, $"final.{name}");
            Check(final - init, parameter - init, $"update of {name}");
        }
    }

    [Fact]
    public void GaussianPromptAggregationOverThreeEpochsMatchesTheAuthorsTrainer()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var expected = SafetensorsFile.Open(FixturePath);
        using var prompted = Build(fixture, expected, out var preset);
        using var learner = prompted.Learner;
        using var regularizer = new SelfRegularizer(prompted, preset.Options.SelfRegularization!);
        using var sgd = new Sgd(learner.Parameters, preset.Options.Momentum, preset.Options.WeightDecay);
        // The fixture's run: 3 epochs of one step each, GPA μ 2, σ 1.
        using var aggregate = new PromptAggregate(new GaussianPromptAggregation(2, 1), epochs: 3);

        var weights = expected.Read("gpa_weights").data<double>().ToArray();
        Assert.Equal(weights.Length, aggregate.Weights.Count);
        for (var i = 0; i < weights.Length; i++)
            Assert.Equal(weights[i], aggregate.Weights[i], 1e-12);

        for (var epoch = 0; epoch < 3; epoch++)
        {
            Step(fixture, regularizer, sgd, epoch, preset.Options.LearningRate);
            foreach (var (name, parameter) in learner.Parameters)
                Check(expected.Read($"gpa.epoch{epoch + 1}.{name}"), parameter, $"epoch {epoch + 1} {name}");
            aggregate.Add(epoch, learner);
        }
        aggregate.ApplyTo(learner);
        foreach (var (name, parameter) in learner.Parameters)
        {
            var (last, final) = (expected.Read($"gpa.epoch3.{name}"), expected.Read($"gpa.final.{name}"));
            Check(final, parameter, $"gpa.final.{name}");
            // The aggregate's own difference from the last epoch, which the prompts' scale could hide.
            Check(final - last, parameter - last, $"aggregate minus last epoch, {name}");
        }
    }

    static float Step(TinyMapleCase fixture, SelfRegularizer regularizer, Sgd sgd, int batch, double learningRate)
    {
        using var stepScope = NewDisposeScope();
        sgd.ZeroGrad();
        var loss = regularizer.Loss(fixture.Images(batch), fixture.Labels(batch)).Total;
        loss.backward();
        sgd.Step(learningRate);
        return loss.item<float>();
    }

    void Check(Tensor expected, Tensor got, string name) =>
        output.WriteLine($"{name}: {TensorAssert.RelativeClose(expected, got, Tolerance, name):E2}");
}
