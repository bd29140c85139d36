using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Training;

/// <summary>
/// PromptSRC through the <see cref="Trainer"/>: the final prompts are the Gaussian-weighted sum of the epochs' prompts,
/// and the running sum is training state, so a killed run resumes to the same bits.
/// </summary>
public sealed class PromptSrcTrainingTests
{
    // 9 photos, batch 2: 4 steps per epoch; GPA μ 2, σ 1 over 3 epochs.
    static readonly TrainingOptions Run = TrainerTests.SmallRun with
    {
        LearningRate = 0.0025,
        SelfRegularization = SelfRegularization.PromptSrc,
        PromptAggregation = new GaussianPromptAggregation(2, 1),
    };

    static PromptedClip PromptSrc(TinyMapleCase fixture, ImageDataset data, long seed) =>
        new(fixture.Clip, PromptLearners.Create(PromptConfig.PromptSrc(depth: 3), fixture.Clip, fixture.Tokenizer, seed), fixture.Tokenizer, data.ClassNames);

    static Dictionary<string, Tensor> Train(TinyMapleCase fixture, ImageDataset data, TrainingOptions options, string folder, bool resume = false, long seed = 5)
    {
        using var model = PromptSrc(fixture, data, seed);
        new Trainer(model, data, options, folder, "tiny-maple").Run(resume);
        return model.Learner.StateDict().ToDictionary(p => p.Key, p => p.Value.clone());
    }

    [Fact]
    public void FinalPromptsAreTheGaussianWeightedSumOfEachEpochsPrompts()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));

        // The same run without aggregation: aggregation changes nothing until the end, so its epochs are the epochs.
        Train(fixture, data, Run with { PromptAggregation = null }, temp["plain"]);
        var epochs = Enumerable.Range(0, 3).Select(e =>
        {
            using var file = SafetensorsFile.Open(TrainingCheckpoint.PathFor(temp["plain"], e));
            return file.ReadAll();
        }).ToList();
        var aggregated = Train(fixture, data, Run, temp["gpa"]);

        // N(e; 2, 1) for e = 1, 2, 3, normalised: e^-1/2, 1, e^-1/2 over their sum.
        var side = Math.Exp(-0.5);
        double[] weights = [side / (1 + 2 * side), 1 / (1 + 2 * side), side / (1 + 2 * side)];
        foreach (var (name, value) in aggregated)
        {
            var expected = epochs[0][name] * weights[0] + epochs[1][name] * weights[1] + epochs[2][name] * weights[2];
            TensorAssert.RelativeClose(expected, value, 1e-6, name);
            Assert.False(value.allclose(epochs[2][name]), $"{name}: the final prompts are the last epoch's");
        }

        using var final = PromptCheckpoint.Read(temp["gpa/prompt.safetensors"]);
        Assert.Equal(PromptMethod.PromptSrc, final.Config.Method);
        Assert.All(aggregated, p => Assert.True(final.Tensors[p.Key].equal(p.Value).all().item<bool>(), p.Key));
        using (var first = SafetensorsFile.Open(TrainingCheckpoint.PathFor(temp["gpa"], 0)))
        {
            // After epoch 1 the checkpoint's sum is that epoch's prompts times its weight.
            foreach (var name in aggregated.Keys)
                TensorAssert.RelativeClose(epochs[0][name] * weights[0], first.Read(PromptAggregate.Prefix + name), 1e-6, name);
        }
        var log = File.ReadAllText(temp["gpa/train.log"]);
        Assert.Contains("frozen text features of 3 classes over 60 templates", log);
        Assert.Contains("final prompts: the Gaussian prompt aggregate (μ 2, σ 1) over 3 epochs", log);
    }

    [Fact]
    public void AKilledRunResumesToTheSameAggregate()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        var uninterrupted = Train(fixture, data, Run, temp["full"]);

        // Killed in epoch 3, after two epochs went into the sum.
        using (var model = PromptSrc(fixture, data, 5))
        {
            using var cancel = new CancellationTokenSource();
            var trainer = new Trainer(model, data, Run, temp["killed"], "tiny-maple");
            Assert.Throws<OperationCanceledException>(() => trainer.Run(progress: new SyncProgress<TrainingProgress>(p =>
            {
                if (p.GlobalStep == 10)
                    cancel.Cancel();
            }), cancellation: cancel.Token));
        }
        Assert.Equal(2, TrainingCheckpoint.Latest(temp["killed"])!.Value.EpochsDone);

        var resumed = Train(fixture, data, Run, temp["killed"], resume: true, seed: 99); // another init: all from the checkpoint
        foreach (var (name, value) in uninterrupted)
            Assert.True(value.equal(resumed[name]).all().item<bool>(), $"{name} differs after resume");
    }

    [Fact]
    public void ACheckpointWithoutTheAggregateIsNotResumed()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        Train(fixture, data, Run with { Epochs = 1 }, temp["run"]);
        var path = TrainingCheckpoint.PathFor(temp["run"], 0);
        Dictionary<string, Tensor> tensors;
        IReadOnlyDictionary<string, string> metadata;
        using (var file = SafetensorsFile.Open(path))
            (tensors, metadata) = (file.ReadAll(), file.Metadata);
        SafetensorsWriter.Write(path, tensors.Where(t => !t.Key.StartsWith(PromptAggregate.Prefix, StringComparison.Ordinal)), metadata);
        File.Delete(temp["run/prompt.safetensors"]);

        var error = Assert.Throws<InvalidDataException>(() => Train(fixture, data, Run with { Epochs = 1 }, temp["run"], resume: true));
        Assert.StartsWith($"{path}: does not hold the Gaussian prompt aggregate of its prompts", error.Message);
    }

    [Fact]
    public void ResumeRefusesOtherAggregationOrWeights()
    {
        using var scope = NewDisposeScope();
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        Train(fixture, data, Run with { Epochs = 1 }, temp["run"]);
        File.Delete(temp["run/prompt.safetensors"]);
        var changed = Run with { Epochs = 1, PromptAggregation = new(15, 1), SelfRegularization = new(25, 5, 1) };
        var error = Assert.Throws<UserInputException>(() => Train(fixture, data, changed, temp["run"], resume: true));
        Assert.Contains("src_image_weight was 10, now 5; gpa_mean was 2, now 15", error.Message);
    }

    [Fact]
    public void WeightsFarFromTheMeanDoNotUnderflowToNothing()
    {
        // The authors' density is 0 for every epoch here (e^-4802), and 0 / 0 would make the prompts NaN.
        var weights = new GaussianPromptAggregation(100, 1).Weights(2);
        Assert.Equal(0, weights[0], 12);
        Assert.Equal(1, weights[1], 12);
        Assert.Equal(Math.Exp(-98.5), new GaussianPromptAggregation(100, 1).Weights(2)[0] / weights[1], 1e-50);
    }

    [Fact]
    public void AnImageConditionedLearnerIsRefused()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        using var learner = PromptLearners.Create(PromptConfig.CoCoOp(), fixture.Clip, fixture.Tokenizer, 1);
        using var model = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, data.ClassNames);
        var error = Assert.Throws<UserInputException>(() => new Trainer(model, data, Run, temp["run"], "tiny-maple"));
        Assert.Equal("cocoop conditions its text on each image: the self-regularising terms need text features shared by the batch", error.Message);
    }
}
