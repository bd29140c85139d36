using static TorchSharp.torch;

namespace Maple.Bench.Cases;

/// <summary>
/// The roofline: throughput of one linear layer of ViT-B/16's MLP (the backbone's dominant product),
/// through the same call the model makes. Tells whether bf16 products run natively and how far each
/// case is from what the CPU can do.
/// </summary>
public sealed class GemmCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var precision = args.Precision;
        var dtype = precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var iterations = args.Int("iterations", 10);
        const long rows = 32 * 197, inFeatures = 768, outFeatures = 3072;
        using var generator = new Generator(1);
        using var input = randn([rows, inFeatures], generator: generator).to(dtype);
        using var weight = (randn([outFeatures, inFeatures], generator: generator) * 0.02).to(dtype);
        using var _ = no_grad();

        void Once()
        {
            using var scope = NewDisposeScope();
            nn.functional.linear(input, weight).Dispose();
        }

        Once();
        var timing = new Timing();
        for (var i = 0; i < iterations; i++)
            Once();
        var gflops = 2.0 * rows * inFeatures * outFeatures * iterations / timing.Seconds / 1e9;
        yield return new Measurement("gemm", $"{PrecisionSupport.Name(precision)}, {args.Threads} thread(s), [6304×768]·[768×3072]",
            "linear throughput", gflops, "GFLOP/s", Precision: args.PrecisionName, Threads: args.Threads, AchievedGflops: gflops,
            Details: new() { ["seconds"] = timing.Seconds, ["cpu_seconds"] = timing.CpuSeconds, ["iterations"] = iterations });
    }
}
