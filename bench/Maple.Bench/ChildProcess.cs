using System.Diagnostics;

namespace Maple.Bench;

/// <summary>Runs one case in a child process of this program and collects its result lines.</summary>
public static class ChildProcess
{
    /// <summary>What a child produced.</summary>
    /// <param name="Measurements">The figures it reported.</param>
    /// <param name="Error">Why it failed (exit code, timeout, last lines of its error output), or null.</param>
    public sealed record Outcome(List<Measurement> Measurements, string? Error);

    /// <summary>
    /// Starts <c>Maple.Bench case ...</c> (with extra <paramref name="environment"/> variables), echoes its
    /// progress to stderr, and waits at most <paramref name="timeout"/>.
    /// </summary>
    public static Outcome Run(IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Under `dotnet Maple.Bench.dll` the process is the host: the child needs the assembly too.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        var measurements = new List<Measurement>();
        var errorTail = new Queue<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            if (ResultJson.Parse(e.Data) is { } measurement)
            {
                lock (measurements)
                    measurements.Add(measurement);
            }
            else
            {
                Console.Error.WriteLine($"    {e.Data}");
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            Console.Error.WriteLine($"    {e.Data}");
            lock (errorTail)
            {
                errorTail.Enqueue(e.Data);
                if (errorTail.Count > 8)
                    errorTail.Dequeue();
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new Outcome(measurements, $"stopped after {timeout.TotalMinutes:0.#} min (--timeout)");
        }
        process.WaitForExit(); // drains the asynchronous readers
        if (process.ExitCode != 0)
        {
            var message = errorTail.FirstOrDefault(l => l.Contains("Exception", StringComparison.Ordinal)) ?? errorTail.LastOrDefault() ?? "";
            return new Outcome(measurements, $"exit code {process.ExitCode}: {message.Trim()}");
        }
        return new Outcome(measurements, null);
    }
}
