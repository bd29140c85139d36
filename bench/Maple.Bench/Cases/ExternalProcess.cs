using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Maple.Bench.Cases;

/// <summary>Runs a program as a whole process and measures it: wall time, CPU time (its own and its children's), output.</summary>
public static class ExternalProcess
{
    /// <summary>Runs <paramref name="command"/> (program, then arguments) to its end; throws with its error output if it fails.</summary>
    public static (double Wall, double Cpu, string Output) Run(IReadOnlyList<string> command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        var cpuBefore = ChildrenCpuSeconds();
        var timing = new Timing();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var wall = timing.Seconds;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(command[0])} {command[1]} failed (exit code {process.ExitCode}): {error.Result.Trim()} {output.Trim()}");
        return (wall, ChildrenCpuSeconds() - cpuBefore, output);
    }

    // CPU seconds of every child this process has waited for (getrusage RUSAGE_CHILDREN).
    static double ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux() || getrusage(-1, out var usage) != 0)
            return double.NaN;
        return usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct ResourceUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, Ixrss, Idrss, Isrss, MinorFaults, MajorFaults, Swaps, BlocksIn, BlocksOut, MessagesSent, MessagesReceived, Signals, VoluntarySwitches, InvoluntarySwitches;
    }

    [DllImport("libc", SetLastError = true)]
    static extern int getrusage(int who, out ResourceUsage usage);
}
