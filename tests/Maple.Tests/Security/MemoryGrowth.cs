namespace Maple.Tests.Security;

/// <summary>
/// How much memory one piece of work took: bytes the managed heap handed this thread, and the growth of the
/// process's peak resident set (VmHWM, which counts native allocations such as Skia's and libtorch's too).
/// </summary>
readonly record struct MemoryGrowth(long ManagedBytes, long PeakRssBytes)
{
    const string Status = "/proc/self/status";

    /// <summary>Runs <paramref name="work"/> and measures it; the peak is reset first where Linux allows it.</summary>
    public static MemoryGrowth Of(Action work)
    {
        var reset = ResetPeak();
        var baseline = reset ? Read("VmRSS:") : Read("VmHWM:");
        var managed = GC.GetAllocatedBytesForCurrentThread();
        work();
        var managedGrowth = GC.GetAllocatedBytesForCurrentThread() - managed;
        return new MemoryGrowth(managedGrowth, Math.Max(0, Read("VmHWM:") - baseline));
    }

    // Writing 5 to clear_refs sets VmHWM back to the current RSS (Linux 4.0+), so the next peak is this work's own.
    static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    static long Read(string field)
    {
        if (!File.Exists(Status))
            return 0;
        var line = File.ReadLines(Status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
    }
}
