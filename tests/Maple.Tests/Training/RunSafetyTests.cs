using System.Diagnostics;
using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Training;

/// <summary>One run per output folder, resume only of the same run, and a diverging run that stops cleanly.</summary>
public sealed class RunSafetyTests
{
    static TrainingOptions SmallRun => TrainerTests.SmallRun;

    static PromptedClip Maple(TinyMapleCase fixture, ImageDataset data, long seed) => TrainerTests.Maple(fixture, data, seed);

    /// <summary>A process id that no process on this machine has now.</summary>
    static int DeadProcessId()
    {
        for (var pid = 4_000_000; ; pid--)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
            }
            catch (ArgumentException)
            {
                return pid;
            }
        }
    }

    [Fact]
    public void KilledDuringACheckpointWriteResumesToTheUninterruptedParameters()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));

        var uninterrupted = TrainerTests.TrainUninterrupted(fixture, data, temp["full"]);

        // The run is killed -9 while writing its second epoch's checkpoint: stopped in that epoch, with the
        // checkpoint's temp file half written, the lock's owner record naming the dead process, and a stray
        // epoch-999 checkpoint (a copy of a real one) beside the others.
        TrainerTests.StopAfterStep(fixture, data, temp["killed"], step: 7);
        var firstEpoch = TrainingCheckpoint.PathFor(temp["killed"], 0);
        Assert.Equal((firstEpoch, 1), TrainingCheckpoint.Latest(temp["killed"]));
        var dead = DeadProcessId();
        var bytes = File.ReadAllBytes(firstEpoch);
        var partial = TrainingCheckpoint.PathFor(temp["killed"], 1) + $".{dead}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(partial, bytes[..(bytes.Length / 2)]);
        var staleLog = temp["killed/train.jsonl"] + $".{dead}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(staleLog, "{\"epoch\":");
        File.Copy(firstEpoch, TrainingCheckpoint.PathFor(temp["killed"], 998));
        File.WriteAllText(temp["killed/" + RunLock.OwnerFileName], $"{{\"pid\":{dead},\"host\":\"{Environment.MachineName}\",\"started\":\"2026-01-02T03:04:05.0000000Z\"}}");

        TrainerTests.AssertResumeReaches(fixture, data, temp["killed"], uninterrupted);

        Assert.False(File.Exists(partial));
        Assert.False(File.Exists(staleLog));
        Assert.Empty(Directory.GetFiles(temp["killed"], "*.tmp", SearchOption.AllDirectories));
        Assert.False(File.Exists(temp["killed/" + RunLock.OwnerFileName])); // released
        var log = File.ReadAllText(temp["killed/train.log"]);
        Assert.Contains($"took over the lock of a run that is no longer running (PID {dead} on {Environment.MachineName} since 2026-01-02 03:04:05 UTC)", log);
        Assert.Contains($"deleted {partial}, left by a write that was interrupted", log);
        Assert.Contains($"ignored {TrainingCheckpoint.PathFor(temp["killed"], 998)}: beyond the 3 planned epochs", log);
        Assert.Contains($"resumed from {firstEpoch} after epoch 1", log);
    }

    [Fact]
    public void ASecondRunIntoAHeldFolderIsRefusedNamingTheFirst()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        using var model = Maple(fixture, data, 1);
        var trainer = new Trainer(model, data, SmallRun with { Epochs = 1 }, temp["run"], "tiny-maple");

        RunFolderInUseException refused;
        using (var held = RunLock.Acquire(temp["run"])) // the first run, as another open of the lock file
        {
            Assert.Null(held.TakenOver);
            refused = Assert.Throws<RunFolderInUseException>(() => trainer.Run());
            Assert.Throws<RunFolderInUseException>(() => RunLock.Acquire(temp["run"]).Dispose());
        }
        Assert.Equal(Environment.ProcessId, refused.Owner!.ProcessId);
        Assert.StartsWith($"{temp["run"]} is in use by another run (PID {Environment.ProcessId} on {Environment.MachineName} since ", refused.Message);
        Assert.False(File.Exists(TrainingCheckpoint.PathFor(temp["run"], 0))); // the refused run wrote nothing

        trainer.Run(); // released: the folder is free again
        Assert.True(File.Exists(trainer.FinalPromptsPath));
    }

    [Fact]
    public void AnOwnerRecordIsStaleOnlyWhenItsProcessIsGone()
    {
        var host = Environment.MachineName;
        using var init = Process.GetProcessById(1);
        var initStarted = init.StartTime.ToUniversalTime();
        Assert.False(new RunOwner(1, host, initStarted.AddMinutes(1)).IsStale()); // alive, started before the lock
        Assert.True(new RunOwner(1, host, initStarted.AddMinutes(-1)).IsStale()); // the id was reused after the lock
        Assert.True(new RunOwner(DeadProcessId(), host, DateTime.UtcNow).IsStale());
        Assert.False(new RunOwner(DeadProcessId(), host + "-elsewhere", DateTime.UtcNow).IsStale()); // cannot be checked from here
    }

    [Fact]
    public void ResumeRefusesAnotherPrecisionDataModelOrHyperParameter()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        var run = temp["run"];
        using (var model = Maple(fixture, data, 1))
            new Trainer(model, data, SmallRun with { Epochs = 1 }, run, "tiny-maple").Run();
        var checkpoint = TrainingCheckpoint.PathFor(run, 0);

        string Refusal(TinyMapleCase clip, ImageDataset images, TrainingOptions options)
        {
            using var model = Maple(clip, images, 1);
            return Assert.Throws<UserInputException>(() => new Trainer(model, images, options, run, "tiny-maple").Run(resume: true)).Message;
        }

        using (var bf16 = new TinyMapleCase(Precision.Bf16))
            Assert.Equal($"{checkpoint}: cannot resume a different run: precision was fp32, now bf16; use the run's settings or another output folder",
                Refusal(bf16, data, SmallRun with { Epochs = 1 }));

        // One image fewer: the same classes, another fingerprint.
        var fewer = data with { Items = data.Items.Skip(1).ToList() };
        var message = Refusal(fixture, fewer, SmallRun with { Epochs = 1 });
        Assert.Matches(@": cannot resume a different run: data was 9 images, 3 classes, sha256 [0-9a-f]{16}, now 8 images, 3 classes, sha256 [0-9a-f]{16};", message);

        // The same images, one a byte longer: the sizes are part of the fingerprint.
        File.AppendAllText(data.Items[0].Path, " ");
        Assert.Contains("data was 9 images, 3 classes, sha256 ", Refusal(fixture, data, SmallRun with { Epochs = 1 }));
        File.WriteAllBytes(data.Items[0].Path, File.ReadAllBytes(data.Items[0].Path)[..^1]);

        Assert.Contains("momentum was 0.9, now 0.5; weight_decay was 0.0005, now 0",
            Refusal(fixture, data, SmallRun with { Epochs = 1, Momentum = 0.5, WeightDecay = 0 }));

        // A checkpoint of another backbone (its config hash differs).
        using (var file = SafetensorsFile.Open(checkpoint))
        {
            var tensors = file.ReadAll();
            var metadata = new Dictionary<string, string>(file.Metadata) { ["backbone_config_hash"] = "0123abcd" };
            file.Dispose();
            SafetensorsWriter.Write(checkpoint, tensors, metadata);
        }
        Assert.Contains($"backbone_config_hash was 0123abcd, now {fixture.Clip.Config.Hash()}", Refusal(fixture, data, SmallRun with { Epochs = 1 }));
    }

    [Fact]
    public void ALossThatBecomesNaNStopsTheRunKeepingTheLastGoodCheckpoint()
    {
        using var temp = new TempFolder();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        using var model = Maple(fixture, data, 1);
        // Epoch 1 is the gentle warm-up; epoch 2's rate throws the prompts to overflow.
        var options = SmallRun with { LearningRate = 1e30, Schedule = ScheduleKind.Constant };
        var error = Assert.Throws<TrainingDivergedException>(() => new Trainer(model, data, options, temp["run"], "tiny-maple").Run());

        Assert.Equal(2, error.Epoch);
        Assert.False(double.IsFinite(error.Loss));
        Assert.Equal($"loss became {(double.IsNaN(error.Loss) ? "NaN" : "infinite")} at epoch 2, step {error.Step}; try a lower learning rate", error.Message);
        Assert.Equal((TrainingCheckpoint.PathFor(temp["run"], 0), 1), TrainingCheckpoint.Latest(temp["run"]));
        Assert.False(File.Exists(temp["run/prompt.safetensors"]));
        using (var kept = SafetensorsFile.Open(TrainingCheckpoint.PathFor(temp["run"], 0)))
            foreach (var (name, tensor) in kept.ReadAll())
                using (tensor)
                    Assert.True(tensor.isfinite().all().item<bool>(), $"{name} is not finite in the kept checkpoint");
        Assert.Contains($"stopped: {error.Message}; the last good checkpoint is {TrainingCheckpoint.PathFor(temp["run"], 0)}", File.ReadAllText(temp["run/train.log"]));
    }

    [Fact]
    public void NonFiniteOrOutOfRangeSettingsAreNamed()
    {
        var lr = Assert.Throws<InvalidSettingException>(() => (SmallRun with { LearningRate = double.PositiveInfinity }).Validate());
        Assert.Equal("LearningRate must be a positive finite number (got Infinity)", lr.Message);
        Assert.Equal(nameof(TrainingOptions.LearningRate), lr.Setting);
        Assert.Equal("Momentum must be a finite number, zero or more (got NaN)",
            Assert.Throws<InvalidSettingException>(() => (SmallRun with { Momentum = double.NaN }).Validate()).Message);
        Assert.Equal(nameof(TrainingOptions.WeightDecay),
            Assert.Throws<InvalidSettingException>(() => (SmallRun with { WeightDecay = -1 }).Validate()).Setting);
        Assert.Equal(nameof(TrainingOptions.WarmupLearningRate),
            Assert.Throws<InvalidSettingException>(() => (SmallRun with { WarmupLearningRate = double.NaN }).Validate()).Setting);
        (SmallRun with { WarmupEpochs = 0, WarmupLearningRate = double.NaN }).Validate(); // no warm-up: its rate is unused
    }
}
