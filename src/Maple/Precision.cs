using System.Runtime.InteropServices;

namespace Maple;

/// <summary>The numeric precision of the frozen backbone's matrix work.</summary>
public enum Precision
{
    /// <summary>bf16 where the device computes it natively (a CPU with AVX512-BF16 or AMX, a CUDA GPU that runs bf16 products), otherwise fp32.</summary>
    Auto,

    /// <summary>Everything in fp32: the reference semantics.</summary>
    Fp32,

    /// <summary>Weights and matrix products in bf16; LayerNorm, softmax statistics, the residual stream and the final normalisation in fp32.</summary>
    Bf16,
}

/// <summary>Resolves <see cref="Precision.Auto"/> and parses user input.</summary>
public static class PrecisionSupport
{
    static readonly Lazy<bool> NativeBf16 = new(DetectNativeBf16);

    /// <summary>Whether this CPU has native bf16 matrix instructions.</summary>
    public static bool HasNativeBf16 => NativeBf16.Value;

    /// <summary>Turns <see cref="Precision.Auto"/> into the concrete precision for this machine's CPU.</summary>
    public static Precision Resolve(Precision precision) => Choose(precision).Resolved;

    /// <summary>
    /// The one place a precision is decided: the concrete precision <paramref name="requested"/> gives on
    /// <paramref name="device"/> (the CPU when null), and why, so that what <see cref="Precision.Auto"/> chose can be
    /// shown and recorded. bf16 is autocast-style on every device: bf16 weights and products, fp32 LayerNorms,
    /// softmax, residual stream and features.
    /// </summary>
    public static PrecisionChoice Choose(Precision requested, TorchSharp.torch.Device? device = null)
    {
        if (requested != Precision.Auto)
            return new(requested, requested, "as requested");
        if (device is { type: TorchSharp.DeviceType.CUDA })
            return CudaComputesBf16(device)
                ? new(requested, Precision.Bf16, "auto: this CUDA device computes bf16")
                : new(requested, Precision.Fp32, "auto: this CUDA device does not compute bf16");
        return HasNativeBf16
            ? new(requested, Precision.Bf16, "auto: this CPU has native bf16")
            : new(requested, Precision.Fp32, "auto: this CPU has no native bf16");
    }

    /// <summary>Parses <c>fp32</c>, <c>bf16</c> or <c>auto</c>.</summary>
    public static Precision Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => Precision.Auto,
        "fp32" or "float32" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        _ => throw new UserInputException($"unknown precision '{text}': expected fp32, bf16 or auto"),
    };

    /// <summary>The lower-case name used on the command line and in metadata.</summary>
    public static string Name(Precision precision) => precision.ToString().ToLowerInvariant();

    // TorchSharp exposes no compute capability: a GPU computes bf16 if a small bf16 product runs on it.
    static bool CudaComputesBf16(TorchSharp.torch.Device device)
    {
        try
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var probe = TorchSharp.torch.ones(8, 8, TorchSharp.torch.ScalarType.BFloat16, device);
            return probe.matmul(probe).to(TorchSharp.torch.ScalarType.Float32).sum().item<float>() == 512;
        }
        catch (Exception ex) when (ex is ExternalException or InvalidOperationException or NotSupportedException)
        {
            return false;
        }
    }

    static bool DetectNativeBf16()
    {
        // .NET exposes no CPUID bit for AVX512-BF16; the kernel's flag list is the dependable source on Linux.
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo))
            return false;
        var flags = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "";
        var names = flags.Split([' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries);
        return names.Contains("avx512_bf16") || names.Contains("amx_bf16");
    }
}

/// <summary>The precision a model computes in, the one that was asked for, and why they may differ.</summary>
/// <param name="Requested">What was asked for, possibly <see cref="Precision.Auto"/>.</param>
/// <param name="Resolved">What is used: <see cref="Precision.Fp32"/> or <see cref="Precision.Bf16"/>.</param>
/// <param name="Reason">Why, in a few words (<c>auto: this CPU has native bf16</c>).</param>
public sealed record PrecisionChoice(Precision Requested, Precision Resolved, string Reason)
{
    /// <summary>The resolved name and the reason, e.g. <c>bf16 (auto: this CPU has native bf16)</c>.</summary>
    public override string ToString() => $"{PrecisionSupport.Name(Resolved)} ({Reason})";
}
