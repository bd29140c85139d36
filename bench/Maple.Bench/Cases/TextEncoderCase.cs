using Maple.Clip;
using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>Text encoder throughput on class prompts "a photo of a {class}." (end of text at 7 to 9).</summary>
public sealed class TextEncoderCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var precision = args.Precision;
        var classes = args.Int("classes", 100);
        var iterations = args.Int("iterations", 5);
        using var model = ClipModel.Load(args.Get("model"), precision);
        using var generator = new Generator(3);
        using var tokenIds = ClassPrompts.TokenIds(classes, model.Config.Text.ContextLength, generator);
        using var _ = no_grad();

        void Once()
        {
            using var scope = NewDisposeScope();
            model.EncodeText(tokenIds);
        }

        for (var i = 0; i < args.Int("warmup", 1); i++)
            Once();
        var timing = new Timing();
        for (var i = 0; i < iterations; i++)
            Once();
        using var endOfText = tokenIds.argmax(-1);
        var gflop = Flops.Text(model.Config, endOfText.data<long>().ToArray()).Forward;
        yield return new Measurement("text", $"{PrecisionSupport.Name(precision)}, {args.Threads} thread(s), {classes} prompts",
            "text encoder", classes * iterations / timing.Seconds, "prompts/s",
            Precision: args.PrecisionName, Threads: args.Threads, AchievedGflops: gflop * iterations / timing.Seconds,
            Details: new() { ["seconds"] = timing.Seconds, ["cpu_seconds"] = timing.CpuSeconds, ["passes"] = iterations });
    }
}
