using System.Diagnostics;
using Maple.Cli;

namespace Maple.Tests;

/// <summary>Runs <c>maple</c> in-process, capturing the errors, or as the built executable in a child process.</summary>
static class CliRunner
{
    public static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        using var error = new StringWriter();
        var code = await MapleCommandLine.InvokeAsync(args, error);
        return (code, error.ToString());
    }

    /// <summary>The built executable, copied beside the tests with the assembly that references it.</summary>
    static string Executable => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Maple.Cli.exe" : "Maple.Cli");

    /// <summary>
    /// Runs the built <c>maple</c> as a user's shell does: a new process, output and errors captured apart, in
    /// <paramref name="workingDirectory"/> (the temporary folder when null), with <c>COLUMNS</c> and any
    /// <paramref name="environment"/> set. One thread for libtorch unless the arguments say otherwise.
    /// </summary>
    public static async Task<(int Code, string Output, string Error)> RunProcessAsync(string[] args,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["COLUMNS"] = "120";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Executable}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"maple {string.Join(" ", args)} ran for more than 5 minutes");
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary><see cref="RunProcessAsync"/> with the arguments given inline.</summary>
    public static Task<(int Code, string Output, string Error)> RunProcessAsync(params string[] args) => RunProcessAsync(args, null, null);
}
