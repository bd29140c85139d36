using System.Text.Json;
using Maple.Data;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Training;

public sealed class TrainerTests
{
    internal static readonly TrainingOptions SmallRun = new() { Epochs = 3, BatchSize = 2, LearningRate = 0.01, Seed = 5 };

    internal static PromptedClip Maple(TinyMapleCase fixture, ImageDataset data, long seed) =>
        new(fixture.Clip, PromptLearners.Create(PromptConfig.Maple(2, 3), fixture.Clip, fixture.Tokenizer, seed), fixture.Tokenizer, data.ClassNames);

    /// <summary>The parameters at the end of an uninterrupted <see cref="SmallRun"/> into <paramref name="folder"/>.</summary>
    internal static Dictionary<string, Tensor> TrainUninterrupted(TinyMapleCase fixture, ImageDataset data, string folder)
    {
        using var model = Maple(fixture, data, SmallRun.Seed);
        new Trainer(model, data, SmallRun, folder, "tiny-maple").Run();
        return model.Learner.StateDict().ToDictionary(p => p.Key, p => p.Value.clone());
    }

    /// <summary>Starts <see cref="SmallRun"/> into <paramref name="folder"/> and kills it (cancels it) after global step <paramref name="step"/>.</summary>
    internal static void StopAfterStep(TinyMapleCase fixture, ImageDataset data, string folder, int step)
    {
        using var model = Maple(fixture, data, SmallRun.Seed);
        using var cancel = new CancellationTokenSource();
        var trainer = new Trainer(model, data, SmallRun, folder, "tiny-maple");
        Assert.Throws<OperationCanceledException>(() => trainer.Run(progress: new SyncProgress<TrainingProgress>(p =>
        {
            if (p.GlobalStep == step)
                cancel.Cancel();
        }), cancellation: cancel.Token));
    }

    /// <summary>Resumes the run in <paramref name="folder"/> from a learner of another init; asserts it ends at <paramref name="expected"/>.</summary>
    internal static void AssertResumeReaches(TinyMapleCase fixture, ImageDataset data, string folder, Dictionary<string, Tensor> expected)
    {
        using var model = Maple(fixture, data, seed: 99); // a different init: everything must come from the checkpoint
        new Trainer(model, data, SmallRun, folder, "tiny-maple").Run(resume: true);
        foreach (var (name, value) in model.Learner.StateDict())
            Assert.True(expected[name].equal(value).all().item<bool>(), $"{name} differs after resume");
    }

    [Fact]
    public void WritesPromptsCheckpointsAndLogs()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        Assert.Equal(["astronaut", "coffee cup", "tabby cat"], data.ClassNames); // folders in ordinal order
        using var model = Maple(fixture, data, SmallRun.Seed);
        var initial = model.Learner.StateDict()["prompt_learner.ctx"].clone();

        var trainer = new Trainer(model, data, SmallRun, temp["run"], "tiny-maple");
        var reports = new List<TrainingProgress>();
        var final = trainer.Run(progress: new SyncProgress<TrainingProgress>(reports.Add));

        Assert.Equal(4, trainer.StepsPerEpoch); // 9 images, batch 2: the last partial batch is dropped
        Assert.Equal(12, reports.Count);
        Assert.Equal([1e-5, 1e-5, 1e-5, 1e-5], reports.Take(4).Select(r => r.LearningRate)); // warm-up epoch
        Assert.Equal(0.01, reports[4].LearningRate, 12);
        Assert.Equal(0.01 * (1 + Math.Cos(Math.PI / 3)) / 2, reports[8].LearningRate, 12);
        Assert.All(reports, r => Assert.True(double.IsFinite(r.Loss)));

        var lines = File.ReadAllLines(temp["run/train.jsonl"]);
        Assert.Equal(12, lines.Length);
        using (var first = JsonDocument.Parse(lines[0]))
            Assert.Equal(1e-5, first.RootElement.GetProperty("lr").GetDouble());
        Assert.Contains("epoch 3/3", File.ReadAllText(temp["run/train.log"]));
        Assert.True(File.Exists(TrainingCheckpoint.PathFor(temp["run"], 2)));

        using var saved = PromptCheckpoint.Read(final);
        Assert.Equal(PromptMethod.Maple, saved.Config.Method);
        Assert.Equal(["astronaut", "coffee cup", "tabby cat"], saved.ClassNames);
        Assert.Equal("3", saved.Metadata["epoch"]);
        Assert.False(saved.Tensors["prompt_learner.ctx"].equal(initial).all().item<bool>()); // it learned something
        Assert.True(saved.Tensors["prompt_learner.ctx"].equal(model.Learner.StateDict()["prompt_learner.ctx"]).all().item<bool>());
        Assert.Empty(Directory.GetFiles(temp["run"], "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void ResumedRunEndsWhereAnUninterruptedOneDoes()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));

        var uninterrupted = TrainUninterrupted(fixture, data, temp["full"]);

        // Kill the run in the middle of its second epoch, then resume it with fresh objects.
        StopAfterStep(fixture, data, temp["killed"], step: 6);
        Assert.Equal(1, TrainingCheckpoint.Latest(temp["killed"])!.Value.EpochsDone);
        Assert.Throws<RunExistsException>(() =>
        {
            using var model = Maple(fixture, data, SmallRun.Seed);
            new Trainer(model, data, SmallRun, temp["killed"], "tiny-maple").Run(resume: false);
        });

        AssertResumeReaches(fixture, data, temp["killed"], uninterrupted);
        Assert.Equal(12, File.ReadAllLines(temp["killed/train.jsonl"]).Length);
    }

    [Fact]
    public void ResumeRefusesAChangedRun()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        using (var model = Maple(fixture, data, 1))
            new Trainer(model, data, SmallRun with { Epochs = 1 }, temp["run"], "tiny-maple").Run();
        using var again = Maple(fixture, data, 1);
        var error = Assert.Throws<UserInputException>(() =>
            new Trainer(again, data, SmallRun with { Epochs = 2, LearningRate = 0.5 }, temp["run"], "tiny-maple").Run(resume: true));
        Assert.Contains("epochs was 1, now 2; lr was 0.01, now 0.5", error.Message);
    }

    [Fact]
    public void BadDataGivesSpecificErrors()
    {
        using var temp = new TempFolder();
        var root = PhotoFolder.Create(temp["data"]);
        Directory.CreateDirectory(Path.Combine(root, "empty_class"));
        var empty = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root));
        Assert.Contains("empty_class", empty.Message);
        Directory.Delete(Path.Combine(root, "empty_class"));

        File.WriteAllBytes(Path.Combine(root, "astronaut", "zz_broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(root);
        using var model = Maple(fixture, data, 1);
        var strict = SmallRun with { Epochs = 1, BatchSize = 10, Shuffle = false, Strict = true };
        var error = Assert.ThrowsAny<IOException>(() => new Trainer(model, data, strict, temp["strict"], "tiny-maple").Run());
        Assert.Contains("zz_broken.jpg", error.Message);

        var lenient = strict with { Strict = false, BatchSize = 5 };
        var trainer = new Trainer(model, data, lenient, temp["lenient"], "tiny-maple");
        trainer.Run();
        Assert.Equal(1, trainer.SkippedImages);
        var log = File.ReadAllText(temp["lenient/train.log"]);
        Assert.Contains("skipped unreadable image", log);
        Assert.Contains("zz_broken.jpg", log);

        var emptyList = temp["classes.txt"];
        File.WriteAllText(emptyList, "\n\n");
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => DatasetSource.ReadClassNames(emptyList)).Message);
    }
}
