using Maple.Clip;

namespace Maple.Bench.Cases;

/// <summary>Time and peak memory of <see cref="ClipModel.Load"/> from a warm page cache.</summary>
public sealed class LoadCase : IBenchCase
{
    /// <inheritdoc />
    public IEnumerable<Measurement> Run(CaseArguments args)
    {
        var folder = args.Get("model");
        var precision = args.Precision;
        var weights = Path.Combine(folder, "model.safetensors");
        // Reading the file through a small buffer warms the page cache without raising this process's RSS.
        var buffer = new byte[1 << 20];
        using (var stream = File.OpenRead(weights))
        {
            while (stream.Read(buffer) > 0)
            {
            }
        }

        var timing = new Timing();
        using var model = ClipModel.Load(folder, precision);
        var seconds = timing.Seconds;
        var fp32 = precision == Precision.Fp32;
        var setting = $"ViT-B/16 → {PrecisionSupport.Name(precision)}, warm page cache";
        yield return new Measurement("load", setting, "ClipModel.Load", seconds, "s",
            fp32 ? 2.0 : null, fp32 ? TargetKind.AtMost : TargetKind.None,
            Details: new() { ["seconds"] = seconds, ["cpu_seconds"] = timing.CpuSeconds, ["rss_after_mb"] = ProcessMemory.RssMb() });
        yield return new Measurement("load", setting, "peak RSS", ProcessMemory.PeakRssMb(), "MB");
        if (fp32)
            yield return new Measurement("load", "model.safetensors (F32)", "size on disk", new FileInfo(weights).Length / 1e9, "GB");
    }
}
