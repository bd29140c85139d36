using Maple.Clip;
using Maple.Clip.Safetensors;
using Maple.Prompting;
using Maple.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Maple.Tests.Prompting;

/// <summary>
/// MMRL against its authors' trainer (yunncheng/MMRL trainers/mmrl.py) run in fp32 on the tiny shared CLIP by
/// tools/parity/generate_mmrl_fixtures.py (TestData/parity/mmrl.safetensors): the preset for OxfordPets, its
/// representation tokens in the tiny model's last 2 layers and REP_DIM 32 as in the fixture.
/// </summary>
public sealed class MmrlParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-4;
    const double UpdateTolerance = 1e-3;

    static string FixturePath => Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "parity", "mmrl.safetensors");

    /// <summary>The tiny model, the fixture and the preset's learner holding the fixture's initial parameters.</summary>
    sealed class Case : IDisposable
    {
        public Case()
        {
            Fixture = new TinyMapleCase();
            Expected = SafetensorsFile.Open(FixturePath);
            var preset = MethodPreset.Get("mmrl", dataset: "OxfordPets").Adapt(depth: 2);
            Preset = preset with { Prompts = preset.Prompts with { RepresentationDim = 32 } };
            var learner = PromptLearners.Create(Preset.Prompts, Fixture.Clip, Fixture.Tokenizer, seed: 1);
            var init = Expected.Entries.Keys.Where(k => k.StartsWith("init.", StringComparison.Ordinal))
                .ToDictionary(k => k["init.".Length..], Expected.Read);
            learner.LoadStateDict(init, FixturePath);
            Prompted = new PromptedClip(Fixture.Clip, learner, Fixture.Tokenizer, Fixture.ClassNames);
        }

        public TinyMapleCase Fixture { get; }

        public SafetensorsFile Expected { get; }

        public MethodPreset Preset { get; }

        public PromptedClip Prompted { get; }

        public void Dispose()
        {
            Prompted.Learner.Dispose();
            Prompted.Dispose();
            Expected.Dispose();
            Fixture.Dispose();
        }
    }

    [Fact]
    public void LogitsLossTermsAndGradientsMatchTheAuthorsTrainer()
    {
        using var scope = NewDisposeScope();
        using var run = new Case();
        var (fixture, expected, prompted, preset) = (run.Fixture, run.Expected, run.Prompted, run.Preset);
        Assert.Equal(0.2, preset.Options.MmrlConsistencyWeight);

        Assert.True(expected.Read("token_ids").equal(prompted.TokenIds).all().item<bool>(), "prompt tokens differ");
        using var objective = new MmrlObjective(prompted, preset.Options.MmrlConsistencyWeight);
        var loss = objective.Loss(fixture.Images(0), fixture.Labels(0));
        var outputs = loss.Outputs;
        Check(expected.Read("logits"), outputs.ClassTokenLogits, "logits");
        Check(expected.Read("logits_rep"), outputs.RepresentationLogits, "logits_rep");
        Check(expected.Read("logits_fusion"), outputs.FusedLogits, "logits_fusion");
        Check(expected.Read("image_features"), outputs.ImageFeatures, "image_features");
        Check(expected.Read("text_features"), outputs.TextFeatures, "text_features");
        Check(expected.Read("loss_ce"), loss.ClassTokenCe, "loss_ce");
        Check(expected.Read("loss_ce_rep"), loss.RepresentationCe, "loss_ce_rep");
        // Each consistency term is 1 − a mean cosine near 1: fp32 resolves the cosine to about 6e-8 in either
        // implementation, so the cosine (not its tiny complement) is what carries the 1e-4 relative criterion.
        Check(1 - expected.Read("loss_cos_image"), 1 - loss.ImageConsistency, "1 - loss_cos_image");
        Check(1 - expected.Read("loss_cos_text"), 1 - loss.TextConsistency, "1 - loss_cos_text");
        Check(expected.Read("loss"), loss.Total, "loss");
        // Frozen CLIP's features, against which the consistency terms are measured.
        using (no_grad())
        {
            Check(expected.Read("image_features_clip"), ClipModel.Normalize(fixture.Clip.EncodeImage(fixture.Images(0))), "image_features_clip");
            Check(expected.Read("text_features_clip"), ClipModel.Normalize(fixture.Clip.EncodeText(prompted.TokenIds)), "text_features_clip");
        }

        loss.Total.backward();
        var gradients = expected.Entries.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(gradients, prompted.Learner.Parameters.Select(p => $"grad.{p.Name}").Order());
        foreach (var (name, parameter) in prompted.Learner.Parameters)
            Check(expected.Read($"grad.{name}"), parameter.grad!, $"grad.{name}");
        Assert.All(fixture.Clip.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void ReadoutsSelectTheAuthorsLogits()
    {
        using var scope = NewDisposeScope();
        using var run = new Case();
        var (fixture, expected, prompted) = (run.Fixture, run.Expected, run.Prompted);
        using var _ = no_grad();
        Check(expected.Read("logits_fusion"), prompted.Logits(fixture.Images(0)), "fused readout");
        using var classToken = new PromptedClip(fixture.Clip, prompted.Learner, fixture.Tokenizer, fixture.ClassNames) { Readout = MmrlReadout.ClassToken };
        Check(expected.Read("logits"), classToken.Logits(fixture.Images(0), classToken.TextFeatures()), "class-token readout");
    }

    [Fact]
    public void ThreeAdamWStepsMatchTheAuthorsTrainer()
    {
        using var scope = NewDisposeScope();
        using var run = new Case();
        var (fixture, expected, prompted, preset) = (run.Fixture, run.Expected, run.Prompted, run.Preset);
        Assert.Equal(OptimizerKind.AdamW, preset.Options.Optimizer);
        using var optimizer = Trainer.CreateOptimizer(prompted.Learner, preset.Options);
        using var objective = new MmrlObjective(prompted, preset.Options.MmrlConsistencyWeight);

        var losses = new float[3];
        for (var step = 0; step < losses.Length; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = objective.Loss(fixture.Images(step), fixture.Labels(step)).Total;
            loss.backward();
            optimizer.Step(preset.Options.LearningRate);
            losses[step] = loss.item<float>();
        }

        Check(expected.Read("train_losses"), tensor(losses), "train_losses");
        foreach (var (name, parameter) in prompted.Learner.Parameters)
        {
            var (init, final) = (expected.Read($"init.{name}"), expected.Read($"final.{name}"));
            Check(final, parameter, $"final.{name}");
            // The update itself, which a wrong gradient could hide inside the parameter's own scale (a wrong gradient
            // moves it by its whole size). AdamW moves an element by lr·m/(√v + 1e-8), a ratio that amplifies the
            // gradient's last bits where it is small: elements whose first gradient is below 1e-5 (a few dozen of the
            // thousands of weights here) are left out, and the rest must agree to 1e-3 of the update's scale.
            var conditioned = expected.Read($"grad.{name}").abs() >= 1e-5;
            output.WriteLine($"update of {name}: " +
                $"{TensorAssert.RelativeClose((final - init).masked_select(conditioned), (parameter - init).masked_select(conditioned), UpdateTolerance, name):E2}");
        }
    }

    void Check(Tensor expected, Tensor got, string name) =>
        output.WriteLine($"{name}: {TensorAssert.RelativeClose(expected, got, Tolerance, name):E2}");
}
