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

    /// <summary>The <c>promptsrc</c> preset at depth 3 holding the fixture's initial prompts, its loss and its optimiser.</summary>
    sealed class Case : IDisposable
    {
        public Case()
        {
            Preset = MethodPreset.Get("promptsrc").Adapt(depth: 3);
            var learner = PromptLearners.Create(Preset.Prompts, Fixture.Clip, Fixture.Tokenizer, seed: 1);
            var init = Expected.Entries.Keys.Where(k => k.StartsWith("init.", StringComparison.Ordinal))
                .ToDictionary(k => k["init.".Length..], Expected.Read);
            learner.LoadStateDict(init, FixturePath);
            Prompted = new PromptedClip(Fixture.Clip, learner, Fixture.Tokenizer, Fixture.ClassNames);
            Regularizer = new SelfRegularizer(Prompted, Preset.Options.SelfRegularization!);
            Sgd = new Sgd(learner.Parameters, Preset.Options.Momentum, Preset.Options.WeightDecay);
        }

        public TinyMapleCase Fixture { get; } = new();
        public SafetensorsFile Expected { get; } = SafetensorsFile.Open(FixturePath);
        public MethodPreset Preset { get; }
        public PromptedClip Prompted { get; }
        public PromptLearner Learner => Prompted.Learner;
        public SelfRegularizer Regularizer { get; }
        public Sgd Sgd { get; }

        /// <summary>One SGD step on batch <paramref name="batch"/> at the preset's learning rate; returns its loss.</summary>
        public float Step(int batch)
        {
            using var stepScope = NewDisposeScope();
            Sgd.ZeroGrad();
            var loss = Regularizer.Loss(Fixture.Images(batch), Fixture.Labels(batch)).Total;
            loss.backward();
            Sgd.Step(Preset.Options.LearningRate);
            return loss.item<float>();
        }

        public void Dispose()
        {
            Sgd.Dispose();
            Regularizer.Dispose();
            Prompted.Dispose();
            Learner.Dispose();
            Expected.Dispose();
            Fixture.Dispose();
        }
    }

    [Fact]
    public void LogitsEveryLossTermAndGradientsMatchTheAuthorsTrainer()
    {
        using var scope = NewDisposeScope();
        using var c = new Case();
        var (fixture, expected, prompted) = (c.Fixture, c.Expected, c.Prompted);
        Assert.True(expected.Read("token_ids").equal(prompted.TokenIds).all().item<bool>(), "prompt tokens differ");

        Check(expected.Read("frozen_text_features"), c.Regularizer.FrozenTextFeatures, "frozen_text_features");
        using (no_grad())
        {
            Check(expected.Read("logits"), prompted.Logits(fixture.Images(0)), "eval logits");
            Check(expected.Read("frozen_image_features"), ClipModel.Normalize(fixture.Clip.EncodeImage(fixture.Images(0))), "frozen_image_features");
        }

        var loss = c.Regularizer.Loss(fixture.Images(0), fixture.Labels(0));
        loss.Total.backward();
        Check(expected.Read("logits"), loss.Logits, "train logits");
        Check(expected.Read("loss_ce"), loss.CrossEntropy, "loss_ce");
        Check(expected.Read("loss_text"), loss.Text, "loss_text");
        Check(expected.Read("loss_image"), loss.Image, "loss_image");
        Check(expected.Read("loss_logits"), loss.LogitsKl, "loss_logits");
        Check(expected.Read("loss"), loss.Total, "loss");
        var gradients = expected.Entries.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).Order();
        Assert.Equal(gradients, c.Learner.Parameters.Select(p => $"grad.{p.Name}").Order());
        foreach (var (name, parameter) in c.Learner.Parameters)
            Check(expected.Read($"grad.{name}"), parameter.grad!, $"grad.{name}");
        Assert.All(fixture.Clip.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void ThreeSgdStepsMatchTheAuthorsTrainer()
    {
        using var scope = NewDisposeScope();
        using var c = new Case();
        var losses = Enumerable.Range(0, 3).Select(c.Step).ToArray();

        Check(c.Expected.Read("train_losses"), tensor(losses), "train_losses");
        foreach (var (name, parameter) in c.Learner.Parameters)
        {
            var (init, final) = (c.Expected.Read($"init.{name}"), c.Expected.Read($"final.{name}"));
            Check(final, parameter, $"final.{name}");
            // The update itself, which a wrong gradient could hide inside the parameter's own scale.
            Check(final - init, parameter - init, $"update of {name}");
        }
    }

    [Fact]
    public void GaussianPromptAggregationOverThreeEpochsMatchesTheAuthorsTrainer()
    {
        using var scope = NewDisposeScope();
        using var c = new Case();
        // The fixture's run: 3 epochs of one step each, GPA μ 2, σ 1.
        using var aggregate = new PromptAggregate(new GaussianPromptAggregation(2, 1), epochs: 3);

        var weights = c.Expected.Read("gpa_weights").data<double>().ToArray();
        Assert.Equal(weights.Length, aggregate.Weights.Count);
        for (var i = 0; i < weights.Length; i++)
            Assert.Equal(weights[i], aggregate.Weights[i], 1e-12);

        for (var epoch = 0; epoch < 3; epoch++)
        {
            c.Step(epoch);
            foreach (var (name, parameter) in c.Learner.Parameters)
                Check(c.Expected.Read($"gpa.epoch{epoch + 1}.{name}"), parameter, $"epoch {epoch + 1} {name}");
            aggregate.Add(epoch, c.Learner);
        }
        aggregate.ApplyTo(c.Learner);
        foreach (var (name, parameter) in c.Learner.Parameters)
        {
            var (last, final) = (c.Expected.Read($"gpa.epoch3.{name}"), c.Expected.Read($"gpa.final.{name}"));
            Check(final, parameter, $"gpa.final.{name}");
            // The aggregate's own difference from the last epoch, which the prompts' scale could hide.
            Check(final - last, parameter - last, $"aggregate minus last epoch, {name}");
        }
    }

    void Check(Tensor expected, Tensor got, string name) =>
        output.WriteLine($"{name}: {TensorAssert.RelativeClose(expected, got, Tolerance, name):E2}");
}
