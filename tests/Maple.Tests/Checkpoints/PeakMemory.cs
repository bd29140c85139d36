namespace Maple.Tests.Checkpoints;

/// <summary>
/// How much a piece of code raises this process's peak resident memory (managed and native alike), from
/// Linux's high-water mark, which writing 5 to /proc/self/clear_refs resets. The suite runs its test classes
/// one at a time, so nothing else allocates meanwhile.
/// </summary>
static class PeakMemory
{
    /// <summary>Runs <paramref name="action"/> and returns the peak resident memory above the level before it, in bytes.</summary>
    public static long GrowthOf(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        File.WriteAllText("/proc/self/clear_refs", "5");
        var before = StatusBytes("VmRSS:");
        action();
        return Math.Max(0, StatusBytes("VmHWM:") - before);
    }

    static long StatusBytes(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
