using System.Runtime.InteropServices;

namespace Maple.Bench;

/// <summary>This process's memory figures from <c>/proc/self/status</c>.</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in MB (10⁶ bytes): the figure each case reports, one case per process.</summary>
    public static double PeakRssMb() => Math.Max(_peakBeforeReset, ReadKb("VmHWM") * 1024 / 1e6);

    static double _peakBeforeReset;

    /// <summary>
    /// Starts a new peak (Linux's clear_refs), so that <see cref="PeakRssMb"/> can tell which phase set it;
    /// the process's overall peak is remembered and still reported by <see cref="PeakRssMb"/>.
    /// </summary>
    public static void ResetPeak()
    {
        _peakBeforeReset = Math.Max(_peakBeforeReset, ReadKb("VmHWM") * 1024 / 1e6);
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
            // Not Linux, or not allowed: phases then share the process's peak.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The peak resident set since the last <see cref="ResetPeak"/>, in MB.</summary>
    public static double PhasePeakRssMb() => ReadKb("VmHWM") * 1024 / 1e6;

    /// <summary>Current resident set size (VmRSS) in MB (10⁶ bytes).</summary>
    public static double RssMb() => ReadKb("VmRSS") * 1024 / 1e6;

    /// <summary>
    /// Bytes the C heap has handed out and not taken back (glibc's mallinfo2: in-use heap chunks plus
    /// mmap'd blocks), in MB: live native memory, libtorch's tensors included. RSS can be far higher,
    /// since glibc keeps freed heap memory for reuse. NaN where glibc is not the C library.
    /// </summary>
    public static double MallocInUseMb()
    {
        try
        {
            var info = mallinfo2();
            return (info.uordblks + info.hblkhd) / 1e6;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return double.NaN;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern MallInfo2 mallinfo2();

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
