using Maple.Data;
using Maple.Prompting;
using Maple.Tests.Prompting;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Training;

/// <summary>Every method trains, saves its prompts, and the saved prompts reload to the same classifier.</summary>
public sealed class AllMethodsTests
{
    public static TheoryData<string> Presets => new(MethodPreset.All.Keys.Where(k => k != "zeroshot"));

    [Theory]
    [MemberData(nameof(Presets))]
    public void TrainsSavesAndReloads(string presetName)
    {
        using var temp = new TempFolder();
        using var scope = NewDisposeScope();
        using var fixture = new TinyMapleCase();
        var data = ImageFolder.Load(PhotoFolder.Create(temp["data"]));
        var preset = MethodPreset.Get(presetName);
        // The tiny backbone has 3 layers per encoder: deep presets are cut to that depth (MMRL's tokens to its last 2,
        // leaving a layer before them).
        var depth = preset.Prompts.Method == PromptMethod.Mmrl ? 2 : 3;
        var prompts = preset.Prompts with
        {
            TextDepth = Math.Min(preset.Prompts.TextDepth, depth),
            VisionDepth = Math.Min(preset.Prompts.VisionDepth, depth),
        };
        var options = preset.Options with { Epochs = 2, BatchSize = Math.Min(preset.Options.BatchSize, 3), Seed = 2 };

        using var learner = PromptLearners.Create(prompts, fixture.Clip, fixture.Tokenizer, options.Seed);
        using var model = new PromptedClip(fixture.Clip, learner, fixture.Tokenizer, data.ClassNames);
        var before = learner.StateDict().ToDictionary(p => p.Key, p => p.Value.clone());
        var saved = new Trainer(model, data, options, temp["run"], "tiny-maple").Run();

        Assert.Contains(learner.Parameters, p => !p.Value.equal(before[p.Name]).all().item<bool>());
        using var checkpoint = PromptCheckpoint.Read(saved);
        Assert.Equal(learner.Config, checkpoint.Config);
        using var reloaded = checkpoint.CreateLearner(fixture.Clip, fixture.Tokenizer);
        using var again = new PromptedClip(fixture.Clip, reloaded, fixture.Tokenizer, data.ClassNames);
        Assert.Equal(model.PromptTexts, again.PromptTexts);

        using var _ = no_grad();
        var images = fixture.Images(0)[..2];
        Assert.True(model.Logits(images).equal(again.Logits(images)).all().item<bool>());
    }
}
