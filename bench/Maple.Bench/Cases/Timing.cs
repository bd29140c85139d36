using System.Diagnostics;

namespace Maple.Bench.Cases;

/// <summary>Wall-clock and CPU time of a stretch of work.</summary>
public sealed class Timing
{
    readonly Stopwatch _wall = Stopwatch.StartNew();
    readonly TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>Seconds since the timing started.</summary>
    public double Seconds => _wall.Elapsed.TotalSeconds;

    /// <summary>
    /// CPU seconds this process spent since the timing started. CPU time over wall time well below the
    /// thread count means the process waited for the CPU: the machine was busy with something else.
    /// </summary>
    public double CpuSeconds => (Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalSeconds;

    /// <summary>Times <paramref name="work"/> in seconds.</summary>
    public static double Of(Action work)
    {
        var timing = new Timing();
        work();
        return timing.Seconds;
    }
}
