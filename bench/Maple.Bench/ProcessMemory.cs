namespace Maple.Bench;

/// <summary>This process's memory figures from <c>/proc/self/status</c>.</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in MB (10⁶ bytes): the figure each case reports, one case per process.</summary>
    public static double PeakRssMb() => ReadKb("VmHWM") * 1024 / 1e6;

    /// <summary>Current resident set size (VmRSS) in MB (10⁶ bytes).</summary>
    public static double RssMb() => ReadKb("VmRSS") * 1024 / 1e6;

    // The kernel's "kB" are KiB.
    static long ReadKb(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
            return 0;
        foreach (var line in File.ReadLines(status))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal))
                continue;
            var parts = line[(field.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
