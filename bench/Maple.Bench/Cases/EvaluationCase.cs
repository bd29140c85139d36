using Maple.Clip;
using Maple.Prompting;
using Maple.Tokenization;
using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>
/// Evaluation with MaPLe prompts: the class prompts' text features once (timed on their own), then
/// logits for batches of images against them.
/// </summary>
public sealed class EvaluationCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var precision = args.Precision;
        var classes = args.Int("classes", 100);
        var batch = args.Int("batch", 32);
        var iterations = args.Int("iterations", 3);
        var folder = args.Get("model");

        using var clip = ClipModel.Load(folder, precision);
        var tokenizer = ClipTokenizer.FromDirectory(folder);
        using var learner = PromptLearners.Create(PromptConfig.Maple(), clip, tokenizer, seed: 1);
        using var maple = new PromptedClip(clip, learner, tokenizer, ClassPrompts.Names(folder, classes));
        using var generator = new Generator(5);
        using var pixels = randn([batch, 3, 224, 224], generator: generator);
        using var _ = no_grad();

        var textTiming = new Timing();
        using var textFeatures = maple.TextFeatures();
        var (textSeconds, textCpuSeconds) = (textTiming.Seconds, textTiming.CpuSeconds);

        void Once()
        {
            using var scope = NewDisposeScope();
            maple.Logits(pixels, textFeatures);
        }

        for (var i = 0; i < args.Int("warmup", 1); i++)
            Once();
        var timing = new Timing();
        for (var i = 0; i < iterations; i++)
            Once();
        var rate = batch * iterations / timing.Seconds;

        var setting = $"{PrecisionSupport.Name(precision)}, {args.Threads} thread(s), {classes} classes";
        var textGflop = Flops.Text(clip.Config, maple.TokenIds.argmax(-1).data<long>().ToArray()).Forward;
        var imageGflop = Flops.Image(clip.Config, 1, learner.Config.VisionTokens).Forward;
        yield return new Measurement("eval", setting, "text features (once)", textSeconds, "s",
            Precision: args.PrecisionName, Threads: args.Threads, AchievedGflops: textGflop / textSeconds,
            Details: new() { ["seconds"] = textSeconds, ["cpu_seconds"] = textCpuSeconds });
        var target = classes == 1000 && precision == Precision.Bf16;
        yield return new Measurement("eval", $"{setting}, batch {batch}", "images with MaPLe prompts", rate, "images/s",
            target ? 10 : null, target ? TargetKind.AtLeast : TargetKind.None,
            Precision: args.PrecisionName, Threads: args.Threads, AchievedGflops: rate * imageGflop,
            Details: new() { ["seconds"] = timing.Seconds, ["cpu_seconds"] = timing.CpuSeconds, ["batches"] = iterations });
    }
}
