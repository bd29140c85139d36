using System.Diagnostics;

namespace Maple.Bench;

/// <summary>When this process started, reached its entry point and loaded libtorch: the fixed cost before any work.</summary>
public static class StartupClock
{
    /// <summary>Seconds from the process's start (the kernel's record) to the program's first statement.</summary>
    public static double RuntimeStartSeconds { get; private set; } = double.NaN;

    /// <summary>Seconds the first libtorch call took: loading the native libraries and initialising them.</summary>
    public static double NativeLoadSeconds { get; private set; } = double.NaN;

    /// <summary>Records the entry point; the program's first statement calls this.</summary>
    public static void EntryReached()
    {
        using var self = Process.GetCurrentProcess();
        RuntimeStartSeconds = (DateTime.Now - self.StartTime).TotalSeconds;
        RuntimeStartCpuSeconds = self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>CPU seconds of <see cref="NativeLoadSeconds"/>.</summary>
    public static double NativeLoadCpuSeconds { get; private set; } = double.NaN;

    /// <summary>CPU seconds the process had used when it reached its entry point.</summary>
    public static double RuntimeStartCpuSeconds { get; private set; } = double.NaN;

    /// <summary>Runs the first libtorch call and records how long it took.</summary>
    public static void LoadNative(Action firstCall)
    {
        var timing = new Cases.Timing();
        firstCall();
        (NativeLoadSeconds, NativeLoadCpuSeconds) = (timing.Seconds, timing.CpuSeconds);
    }
}
