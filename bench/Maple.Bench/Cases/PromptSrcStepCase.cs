using Maple.Clip;
using Maple.Prompting;
using Maple.Tokenization;
using Maple.Training;
using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>
/// One PromptSRC training step (4 + 4 tokens, depth 9, batch 4; the preset's loss): the prompted text and image
/// forward passes, frozen CLIP's image forward pass, the four loss terms, backward into the prompts, SGD. Frozen
/// CLIP's text features over the 60 templates are computed once per run and timed apart.
/// </summary>
public sealed class PromptSrcStepCase : IBenchCase
{
    static readonly string[] Phases = ["forward_and_loss", "backward", "sgd"];

    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var precision = args.Precision;
        var classes = args.Int("classes", 10);
        var batch = args.Int("batch", 4);
        var steps = args.Int("iterations", 3);
        var folder = args.Get("model");
        var preset = MethodPreset.Get("promptsrc");

        using var clip = ClipModel.Load(folder, precision);
        var tokenizer = ClipTokenizer.FromDirectory(folder);
        var learner = PromptLearners.Create(preset.Prompts, clip, tokenizer, seed: 1);
        using var _ = learner;
        using var prompted = new PromptedClip(clip, learner, tokenizer, ClassPrompts.Names(folder, classes));
        var once = new Timing();
        using var regularizer = new SelfRegularizer(prompted, preset.Options.SelfRegularization!);
        var frozenTextSeconds = once.Seconds;
        using var sgd = new Sgd(learner.Parameters, preset.Options.Momentum, preset.Options.WeightDecay);
        using var generator = new Generator(4);
        using var pixels = randn([batch, 3, 224, 224], generator: generator);
        using var labels = randint(classes, [batch], generator: generator);

        var totals = Phases.ToDictionary(p => p, _ => 0.0);
        void Step(bool record)
        {
            using var scope = NewDisposeScope();
            var timing = new Timing();
            sgd.ZeroGrad();
            var loss = regularizer.Loss(pixels, labels).Total;
            var forward = timing.Seconds;
            loss.backward();
            var backward = timing.Seconds;
            sgd.Step(preset.Options.LearningRate);
            var end = timing.Seconds;
            if (!float.IsFinite(loss.item<float>()))
                throw new InvalidOperationException("the loss is not finite");
            if (record)
            {
                totals["forward_and_loss"] += forward;
                totals["backward"] += backward - forward;
                totals["sgd"] += end - backward;
            }
        }

        for (var i = 0; i < args.Int("warmup", 1); i++)
            Step(record: false);
        var all = new Timing();
        for (var i = 0; i < steps; i++)
            Step(record: true);
        var seconds = all.Seconds / steps;

        var setting = $"{PrecisionSupport.Name(precision)}, {args.Threads} thread(s), {classes} classes, batch {batch}";
        var details = totals.ToDictionary(p => p.Key, p => p.Value / steps);
        details["cpu_seconds_per_step"] = all.CpuSeconds / steps;
        details["steps"] = steps;
        yield return new Measurement("promptsrc", setting, "step time", seconds, "s", Details: details);
        yield return new Measurement("promptsrc", setting, $"frozen text features, once per run ({PromptTemplates.PromptSrc.Count} templates)", frozenTextSeconds, "s");
    }
}
