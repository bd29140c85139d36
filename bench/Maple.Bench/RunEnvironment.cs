using System.Globalization;
using System.Runtime.InteropServices;

namespace Maple.Bench;

/// <summary>What the figures were measured on: they mean little without it.</summary>
/// <param name="Command">The exact command line.</param>
/// <param name="Started">When the run started (UTC).</param>
/// <param name="Cpu">The CPU's model name and logical CPU count.</param>
/// <param name="NativeBf16">Whether the CPU has AVX512-BF16 or AMX (bf16 products in hardware).</param>
/// <param name="LoadAverageBefore">The 1-minute load average before the run: other work on the machine slows every figure.</param>
/// <param name="LoadAverageAfter">The 1-minute load average after the run.</param>
/// <param name="Runtime">.NET and TorchSharp versions.</param>
/// <param name="Quick">Whether this was a --quick run.</param>
public sealed record RunEnvironment(
    string Command, DateTime Started, string Cpu, bool NativeBf16, double LoadAverageBefore, double LoadAverageAfter,
    string Runtime, bool Quick)
{
    /// <summary>The environment now, for a run started with <paramref name="args"/>.</summary>
    public static RunEnvironment Capture(IReadOnlyList<string> args, bool quick) => new(
        Command: string.Join(" ", new[] { CommandName() }.Concat(args).Select(Quote)),
        Started: DateTime.UtcNow,
        Cpu: $"{CpuModel()} ({Environment.ProcessorCount} logical CPUs)",
        NativeBf16: PrecisionSupport.HasNativeBf16,
        LoadAverageBefore: LoadAverage(),
        LoadAverageAfter: double.NaN,
        Runtime: $"{RuntimeInformation.FrameworkDescription}, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}",
        Quick: quick);

    /// <summary>The 1-minute load average, or NaN off Linux.</summary>
    public static double LoadAverage()
    {
        const string path = "/proc/loadavg";
        return File.Exists(path)
            ? double.Parse(File.ReadAllText(path).Split(' ')[0], CultureInfo.InvariantCulture)
            : double.NaN;
    }

    static string CommandName()
    {
        var process = Environment.ProcessPath ?? "Maple.Bench";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? $"dotnet {Path.GetRelativePath(Environment.CurrentDirectory, typeof(RunEnvironment).Assembly.Location)}"
            : Path.GetRelativePath(Environment.CurrentDirectory, process);
    }

    static string Quote(string arg) => arg.Length > 0 && !arg.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? arg : $"'{arg}'";

    static string CpuModel()
    {
        const string path = "/proc/cpuinfo";
        var line = File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
    }
}
