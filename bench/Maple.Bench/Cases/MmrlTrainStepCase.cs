using Maple.Clip;
using Maple.Prompting;
using Maple.Tokenization;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>
/// One MMRL training step (the mmrl preset: 5 representation tokens in layers 6–12, batch 4, AdamW): its loss
/// (which adds a frozen-CLIP image forward per step; frozen CLIP's text features are computed once, before the
/// timed steps, as the trainer does), backward, AdamW. Compare with the <c>train</c> case's MaPLe step.
/// </summary>
public sealed class MmrlTrainStepCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var precision = args.Precision;
        var classes = args.Int("classes", 10);
        var batch = args.Int("batch", 4);
        var steps = args.Int("iterations", 3);
        var folder = args.Get("model");

        using var clip = ClipModel.Load(folder, precision);
        var tokenizer = ClipTokenizer.FromDirectory(folder);
        var preset = MethodPreset.Get("mmrl");
        using var learner = PromptLearners.Create(preset.Prompts, clip, tokenizer, seed: 1);
        using var mmrl = new PromptedClip(clip, learner, tokenizer, ClassPrompts.Names(folder, classes));
        using var optimizer = Trainer.CreateOptimizer(learner, preset.Options);
        var setup = new Timing();
        using var objective = new MmrlObjective(mmrl, preset.Options.MmrlConsistencyWeight);
        var frozenTextSeconds = setup.Seconds;
        using var generator = new Generator(4);
        using var pixels = randn([batch, 3, 224, 224], generator: generator);
        using var labels = randint(classes, [batch], generator: generator);

        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = objective.Loss(pixels, labels).Total;
            loss.backward();
            optimizer.Step(preset.Options.LearningRate);
            if (!float.IsFinite(loss.item<float>()))
                throw new InvalidOperationException("the loss is not finite");
        }

        for (var i = 0; i < args.Int("warmup", 1); i++)
            Step();
        var all = new Timing();
        for (var i = 0; i < steps; i++)
            Step();
        var seconds = all.Seconds / steps;
        var setting = $"{PrecisionSupport.Name(precision)}, {args.Threads} thread(s), {classes} classes, batch {batch}";
        var details = new Dictionary<string, double>
        {
            ["frozen_text_features_once_seconds"] = frozenTextSeconds,
            ["cpu_seconds_per_step"] = all.CpuSeconds / steps,
            ["steps"] = steps,
        };
        yield return new Measurement("train-mmrl", setting, "step time", seconds, "s", null, TargetKind.None, Details: details);
    }
}
