using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Training;

/// <summary>MMRL through the trainer: AdamW's state in the checkpoints, and a killed run resuming to the uninterrupted parameters.</summary>
public sealed class MmrlTrainingTests
{
    // The mmrl preset's recipe (AdamW, crop scale 0.5, its loss) at a size the tiny model trains in seconds.
    static readonly TrainingOptions SmallRun = MethodPreset.Get("mmrl").Options with { Epochs = 3, BatchSize = 2, Seed = 5 };

    static PromptedClip Mmrl(TinyMapleCase fixture, ImageDataset data, long seed)
    {
        var config = PromptConfig.Mmrl(tokens: 3, depth: 2, representationDim: 16);
        return new PromptedClip(fixture.Clip, PromptLearners.Create(config, fixture.Clip, fixture.Tokenizer, seed), fixture.Tokenizer, data.ClassNames);
    }

    [Fact]
    public void KilledRunResumesToTheUninterruptedParametersWithAdamWState()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));

        Dictionary<string, Tensor> uninterrupted;
        using (var model = Mmrl(fixture, data, SmallRun.Seed))
        {
            new Trainer(model, data, SmallRun, temp["full"], "tiny-maple").Run();
            uninterrupted = model.Learner.StateDict().ToDictionary(p => p.Key, p => p.Value.clone());
        }

        using (var model = Mmrl(fixture, data, SmallRun.Seed))
        {
            using var cancel = new CancellationTokenSource();
            var trainer = new Trainer(model, data, SmallRun, temp["killed"], "tiny-maple");
            Assert.Throws<OperationCanceledException>(() => trainer.Run(progress: new SyncProgress<TrainingProgress>(p =>
            {
                if (p.GlobalStep == 6)
                    cancel.Cancel();
            }), cancellation: cancel.Token));
        }
        var (checkpoint, epochs) = TrainingCheckpoint.Latest(temp["killed"])!.Value;
        Assert.Equal(1, epochs);
        using (var file = SafetensorsFile.Open(checkpoint))
        {
            // AdamW's whole state, under PyTorch's names: 4 steps of the first epoch taken by every parameter.
            Assert.Contains("optimizer.exp_avg.image_encoder.proj_rep", file.Entries.Keys);
            Assert.Contains("optimizer.exp_avg_sq.representation_learner.compound_rep_tokens", file.Entries.Keys);
            Assert.Equal(4.0, file.Read("optimizer.step.image_encoder.proj_rep").item<double>());
            Assert.DoesNotContain(file.Entries.Keys, k => k.StartsWith("optimizer.momentum.", StringComparison.Ordinal));
        }

        using (var resumed = Mmrl(fixture, data, seed: 99))
        {
            new Trainer(resumed, data, SmallRun, temp["killed"], "tiny-maple").Run(resume: true);
            foreach (var (name, value) in resumed.Learner.StateDict())
                Assert.True(uninterrupted[name].equal(value).all().item<bool>(), $"{name} differs after resume");
        }

        // Without AdamW's moments the same resume ends elsewhere: the state in the checkpoint is what carries it.
        var stripped = temp["stripped"];
        Directory.CreateDirectory(TrainingCheckpoint.FolderOf(stripped));
        using (var file = SafetensorsFile.Open(checkpoint))
        {
            var kept = file.ReadAll().Where(t => !t.Key.StartsWith("optimizer.", StringComparison.Ordinal)).ToDictionary();
            SafetensorsWriter.Write(TrainingCheckpoint.PathFor(stripped, 0), kept, file.Metadata);
        }
        using (var restarted = Mmrl(fixture, data, seed: 99))
        {
            new Trainer(restarted, data, SmallRun, stripped, "tiny-maple").Run(resume: true);
            Assert.False(uninterrupted["image_encoder.proj_rep"].equal(restarted.Learner.StateDict()["image_encoder.proj_rep"]).all().item<bool>());
        }
    }

    [Fact]
    public void AdamWStateOfAnotherOptimizerIsRefusedNamingTheFile()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        using var model = Mmrl(fixture, data, SmallRun.Seed);
        var path = TrainingCheckpoint.PathFor(temp["run"], 0);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tensors = model.Learner.StateDict().ToDictionary(p => p.Key, p => p.Value);
        tensors["optimizer.momentum.image_encoder.proj_rep"] = zeros_like(tensors["image_encoder.proj_rep"]);
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string>());
        using var optimizer = Trainer.CreateOptimizer(model.Learner, SmallRun);
        var error = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Restore(path, model.Learner, optimizer));
        Assert.StartsWith(path + ": optimizer state 'momentum.image_encoder.proj_rep' is not AdamW's", error.Message);
    }
}
