using Maple.Data;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Tests.Training;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Ood;

/// <summary>LoCoOp's background-entropy regulariser: its value, where its gradient goes, and training with it.</summary>
public sealed class LoCoOpTests
{
    [Theory]
    [InlineData(1000, 200)]
    [InlineData(100, 20)]
    [InlineData(37, 7)]
    [InlineData(10, 2)]
    [InlineData(3, 1)]
    [InlineData(1, 1)]
    public void DefaultTopKScalesImageNetsTwoHundred(int classes, int k) =>
        Assert.Equal(k, LoCoOpRegularizer.DefaultTopK(classes));

    [Fact]
    public void EntropyIsTheMeanOverPatchesWhoseTopKMissesTheLabel()
    {
        using var scope = NewDisposeScope();
        // One image of label 0, three patches over 4 classes; top-1: patch 0 → class 0 (kept out),
        // patch 1 → class 2 and patch 2 → class 3 (background).
        double[][] rows = [[3, 1, 0, 0], [0, 1, 2, -1], [0.4, 0.6, 0.5, 1]];
        var local = tensor(rows.SelectMany(r => r).Select(v => (float)v).ToArray(), [1, 3, 4]);
        var labels = tensor(new long[] { 0 });
        var regularizer = new LoCoOpRegularizer(0.25, topK: 1);

        var expected = (Entropy(rows[1]) + Entropy(rows[2])) / 2;
        Assert.Equal(expected, regularizer.Entropy(local, labels).item<float>(), 5);

        // With k = 3, patch 1's top-3 (2, 1, 0) holds the label; patch 2's (3, 1, 2) does not.
        var wider = new LoCoOpRegularizer(0.25, topK: 3);
        Assert.Equal(Entropy(rows[2]), wider.Entropy(local, labels).item<float>(), 5);

        // k ≥ classes: every patch's top-k holds the label, nothing is background.
        Assert.Equal(0f, new LoCoOpRegularizer(0.25, topK: 9).Entropy(local, labels).item<float>());

        var logits = tensor(new float[] { 1, 2, 0, 0 }, [1, 4]);
        var ce = nn.functional.cross_entropy(logits, labels).item<float>();
        Assert.Equal(ce - 0.25 * expected, regularizer.Loss(logits, local, labels).item<float>(), 5);
    }

    [Fact]
    public void GradientReachesOnlyThePromptsAndLambdaZeroIsPlainCrossEntropy()
    {
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        using var model = fixture.CreateMaple();
        var images = fixture.Images(0);
        var labels = fixture.Labels(0);
        var parameters = model.Learner.Parameters;

        // Plain cross-entropy, as the trainer computes it without LoCoOp.
        var plain = nn.functional.cross_entropy(model.Logits(images), labels);
        plain.backward();
        var plainGrads = parameters.Select(p => p.Value.grad!.clone()).ToList();
        ZeroGrad(model);

        var (logits, local) = model.LogitsWithLocal(images);
        var off = new LoCoOpRegularizer(0, LoCoOpRegularizer.DefaultTopK(10)).Loss(logits, local, labels);
        Assert.Equal(plain.item<float>(), off.item<float>());
        off.backward();
        for (var i = 0; i < parameters.Count; i++)
            TensorAssert.RelativeClose(plainGrads[i], parameters[i].Value.grad!, 1e-6, parameters[i].Name);
        ZeroGrad(model);

        // The entropy term alone moves the prompts, and nothing of CLIP. The vision prompts of the last
        // block (projected by compound_prompt_projections.1 at depth 3 of 3 layers) cannot reach the local
        // features: patches read them only through attention, which the local readout of that block skips.
        (logits, local) = model.LogitsWithLocal(images);
        var entropy = new LoCoOpRegularizer(0.25, 2).Entropy(local, labels);
        Assert.True(entropy.item<float>() > 0, "no background patches in the fixture batch");
        entropy.backward();
        foreach (var (name, parameter) in parameters)
        {
            var moved = parameter.grad!.abs().sum().item<float>() > 0;
            Assert.True(moved != name.StartsWith("prompt_learner.compound_prompt_projections.1.", StringComparison.Ordinal),
                $"{name}: gradient {(moved ? "present" : "missing")}");
        }
        Assert.All(fixture.Clip.parameters(), p => Assert.Null(p.grad));

        ZeroGrad(model);
        (logits, local) = model.LogitsWithLocal(images);
        new LoCoOpRegularizer(0.25, 2).Loss(logits, local, labels).backward();
        Assert.All(fixture.Clip.parameters(), p => Assert.Null(p.grad));
        Assert.Contains(parameters, p => !p.Value.grad!.allclose(plainGrads[parameters.ToList().IndexOf(p)]));
    }

    [Fact]
    public void TrainerUsesTheRegularizerWhenLambdaIsSet()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        var options = new TrainingOptions { Epochs = 1, BatchSize = 3, LearningRate = 0.01, Seed = 2, Augment = false, Shuffle = false };
        var losses = new Dictionary<double, float[]>();
        foreach (var lambda in new[] { 0.0, 0.25 })
        {
            using var learner = PromptLearners.Create(PromptConfig.Maple(2, 3), fixture.Clip, fixture.Tokenizer, options.Seed);
            using var model = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, data.ClassNames);
            var reports = new List<float>();
            new Trainer(model, data, options with { LoCoOpLambda = lambda }, temp[$"run{lambda}"], "tiny-maple")
                .Run(progress: new SyncProgress(p => reports.Add((float)p.Loss)));
            losses[lambda] = [.. reports];
        }
        // Same first batch and prompts: the regularised loss is lower by λ × the background entropy.
        Assert.True(losses[0.25][0] < losses[0.0][0], $"{losses[0.25][0]} vs {losses[0.0][0]}");
        using var saved = PromptCheckpoint.Read(temp["run0.25/prompt.safetensors"]);
        Assert.Contains("\"locoop_lambda\":0.25", saved.Metadata["training"]);
        Assert.Contains("\"locoop_top_k\":1", saved.Metadata["training"]);
        using var plain = PromptCheckpoint.Read(temp["run0/prompt.safetensors"]);
        Assert.DoesNotContain("locoop", plain.Metadata["training"]);
    }

    [Fact]
    public void OptionsAreChecked()
    {
        Assert.Throws<InvalidSettingException>(() => new TrainingOptions { LoCoOpLambda = -0.1 }.Validate());
        Assert.Throws<InvalidSettingException>(() => new TrainingOptions { LoCoOpLambda = 0.25, LoCoOpTopK = 0 }.Validate());
        Assert.Null(LoCoOpRegularizer.For(new TrainingOptions(), 10));
        Assert.Equal(2, LoCoOpRegularizer.For(new TrainingOptions { LoCoOpLambda = 0.25 }, 10)!.TopK);
        Assert.Equal(5, LoCoOpRegularizer.For(new TrainingOptions { LoCoOpLambda = 0.25, LoCoOpTopK = 5 }, 10)!.TopK);
    }

    static double Entropy(double[] logits)
    {
        var max = logits.Max();
        var e = logits.Select(v => Math.Exp(v - max)).ToArray();
        var p = e.Select(v => v / e.Sum()).ToArray();
        return -p.Sum(v => v * Math.Log(v));
    }

    static void ZeroGrad(PromptedClip model)
    {
        foreach (var (_, parameter) in model.Learner.Parameters)
            parameter.grad?.zero_();
    }

    sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
