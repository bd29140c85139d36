using System.Globalization;

namespace Maple.Tests;

/// <summary>
/// How much memory one piece of work took: bytes the managed heap handed this thread, and the growth of the
/// process's peak resident set (VmHWM, which counts native allocations such as Skia's and libtorch's too).
/// The suite runs its test classes one at a time, so nothing else allocates meanwhile.
/// </summary>
readonly record struct MemoryGrowth(long ManagedBytes, long PeakRssBytes)
{
    const string Status = "/proc/self/status";

    /// <summary>Runs <paramref name="work"/> and measures it, after a full collection and a reset of the peak.</summary>
    public static MemoryGrowth Of(Action work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // Writing 5 to clear_refs sets VmHWM back to the current RSS (Linux 4.0+), so the next peak is this work's own.
        File.WriteAllText("/proc/self/clear_refs", "5");
        var baseline = Read("VmRSS:");
        var managed = GC.GetAllocatedBytesForCurrentThread();
        work();
        var managedGrowth = GC.GetAllocatedBytesForCurrentThread() - managed;
        return new MemoryGrowth(managedGrowth, Math.Max(0, Read("VmHWM:") - baseline));
    }

    static long Read(string field)
    {
        var line = File.ReadLines(Status).First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
