using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Maple.Bench;

/// <summary>The results as a Markdown table (printed, or saved as .md) or JSON (saved as .json).</summary>
public static class Report
{
    /// <summary>The Markdown report: the figures, the training steps' breakdown, and how they were made.</summary>
    public static string Markdown(RunEnvironment environment, IReadOnlyList<Measurement> measurements)
    {
        var text = new StringBuilder();
        text.AppendLine($"## Maple.Bench ({(environment.Quick ? "quick" : "full")} run)");
        text.AppendLine();
        text.AppendLine("| case | setting | figure | value | unit | target | met? | of GEMM limit | peak RSS (MB) | CPU/wall |");
        text.AppendLine("|---|---|---|---:|---|---|---|---:|---:|---:|");
        foreach (var m in measurements)
        {
            var met = m.Met switch { true => "yes", false => "**no**", null => "" };
            var value = double.IsNaN(m.Value) ? "—" : Format(m.Value);
            var figure = m.Note is null ? m.Figure : $"{m.Figure} ({m.Note})";
            text.AppendLine($"| {m.Case} | {m.Setting} | {figure} | {value} | {m.Unit} | {m.TargetText} | {met} | {LimitText(m, measurements)} | {Format(m.PeakRssMb, "0")} | {CpuShare(m)} |");
        }

        var steps = measurements.Where(m => m is { Case: "train", Figure: "step time", Details: not null } && !double.IsNaN(m.Value)).ToList();
        if (steps.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Training step, seconds per phase (mean over the timed steps):");
            text.AppendLine();
            text.AppendLine("| setting | text fwd | image fwd | loss | backward | SGD | total | CPU s/step | eot |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var m in steps)
            {
                var d = m.Details!;
                string D(string key) => d.TryGetValue(key, out var v) ? Format(v) : "";
                text.AppendLine($"| {m.Setting} | {D("text_forward")} | {D("image_forward")} | {D("loss")} | {D("backward")} | {D("sgd")} | {Format(m.Value)} | {D("cpu_seconds_per_step")} | {D("eot_min")}–{D("eot_max")} |");
            }
        }

        text.AppendLine();
        text.AppendLine("Of GEMM limit: the figure's matrix products (GFLOP counted by Flops.cs) per second over the same run's fastest gemm");
        text.AppendLine("figure of the same precision and thread count (gemm runs first and last); with a target (≥ x%) when the brief sets one.");
        text.AppendLine();
        text.AppendLine("CPU/wall is the timed work's CPU time over its wall time: about the thread count on an idle machine, lower when");
        text.AppendLine("other processes took the CPU (the time figures are then slower than the code).");
        text.AppendLine();
        text.AppendLine($"Command: `{environment.Command}`");
        text.AppendLine();
        text.AppendLine($"Machine: {environment.Cpu}; native bf16: {(environment.NativeBf16 ? "yes" : "no")}; {environment.Runtime}; " +
            $"load average {Format(environment.LoadAverageBefore)} before, {Format(environment.LoadAverageAfter)} after; started {environment.Started:yyyy-MM-dd HH:mm} UTC.");
        return text.ToString();
    }

    /// <summary>The JSON report: the environment and every measurement with its details.</summary>
    public static string Json(RunEnvironment environment, IReadOnlyList<Measurement> measurements) =>
        JsonSerializer.Serialize(new { environment, measurements }, new JsonSerializerOptions(ResultJson.Options) { WriteIndented = true });

    /// <summary>
    /// The fraction of the GEMM limit <paramref name="m"/> reaches: its achieved GFLOP/s over the fastest gemm figure
    /// of the same precision and threads in <paramref name="all"/> (other work only ever slows a measurement); null
    /// when either is missing.
    /// </summary>
    public static double? LimitFraction(Measurement m, IReadOnlyList<Measurement> all)
    {
        if (m.AchievedGflops is not { } achieved || double.IsNaN(achieved))
            return null;
        var limits = all.Where(g => g.Case == "gemm" && g.Precision == m.Precision && g.Threads == m.Threads && !double.IsNaN(g.Value)).ToList();
        return limits.Count == 0 ? null : achieved / limits.Max(g => g.Value);
    }

    static string LimitText(Measurement m, IReadOnlyList<Measurement> all)
    {
        if (LimitFraction(m, all) is not { } fraction)
            return m.LimitTarget is { } missing ? $"— (≥ {missing:0%}: no gemm figure)" : "";
        var text = fraction.ToString("0%", CultureInfo.InvariantCulture);
        return m.LimitTarget is { } target
            ? $"{text} (≥ {target.ToString("0%", CultureInfo.InvariantCulture)}: {(fraction >= target ? "yes" : "**no**")})"
            : text;
    }

    // CPU time over wall time of the timed work: below the thread count, the process waited for a CPU
    // (other work on the machine) and the time figures are that much slower than the code.
    static string CpuShare(Measurement m)
    {
        if (m.Details is not { } d)
            return "";
        if (d.TryGetValue("cpu_seconds", out var cpu) && d.TryGetValue("seconds", out var wall) && wall > 0)
            return Format(cpu / wall, "0.00");
        if (d.TryGetValue("cpu_seconds_per_step", out var stepCpu) && m.Value > 0)
            return Format(stepCpu / m.Value, "0.00");
        return "";
    }

    static string Format(double value, string? format = null)
    {
        if (double.IsNaN(value))
            return "—";
        format ??= Math.Abs(value) switch
        {
            >= 100 => "0",
            >= 10 => "0.0",
            >= 1 => "0.00",
            _ => "0.000",
        };
        return value.ToString(format, CultureInfo.InvariantCulture);
    }
}
