using Maple.Clip;
using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>Image encoder throughput without prompts (zero-shot CLIP) on batches of random images.</summary>
public sealed class ImageEncoderCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var precision = args.Precision;
        var batch = args.Int("batch", 32);
        var iterations = args.Int("iterations", 3);
        using var model = ClipModel.Load(args.Get("model"), precision);
        using var generator = new Generator(2);
        using var pixels = randn([batch, 3, 224, 224], generator: generator);
        using var _ = no_grad();

        void Once()
        {
            using var scope = NewDisposeScope();
            model.EncodeImage(pixels);
        }

        for (var i = 0; i < args.Int("warmup", 1); i++)
            Once();
        var timing = new Timing();
        for (var i = 0; i < iterations; i++)
            Once();
        var rate = batch * iterations / timing.Seconds;
        var bf16OneThread = precision == Precision.Bf16 && args.Threads == 1;
        yield return new Measurement("image", $"{PrecisionSupport.Name(precision)}, {args.Threads} thread(s), batch {batch}",
            "image encoder", rate, "images/s",
            bf16OneThread ? 10 : null, bf16OneThread ? TargetKind.AtLeast : TargetKind.None,
            Precision: args.PrecisionName, Threads: args.Threads, AchievedGflops: rate * Flops.Image(model.Config, 1, 0).Forward,
            Details: new() { ["seconds"] = timing.Seconds, ["cpu_seconds"] = timing.CpuSeconds, ["batches"] = iterations });
    }
}
