using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Maple.Tests.Cli;

/// <summary>
/// Runs the built <c>maple</c> executable (the apphost copied beside the tests) as a child process: with its output
/// piped, or on a pseudo-terminal of a given size, as a person at a terminal would see it.
/// </summary>
static partial class MapleProcess
{
    /// <summary>The executable: the same build of Maple.Cli the tests reference.</summary>
    public static string Executable { get; } = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Maple.Cli.exe" : "Maple.Cli");

    /// <summary>What a run printed and how it ended.</summary>
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>Runs <paramref name="args"/> with standard output and error piped (not terminals).</summary>
    public static async Task<Result> RunPipedAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var start = StartInfo(args, environment, workingDirectory);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Runs <paramref name="args"/> with standard input, output and error on a new pseudo-terminal of
    /// <paramref name="columns"/> × <paramref name="rows"/>; returns what the terminal received, byte for byte (as text).
    /// <paramref name="whileRunning"/> sees the process and the output so far, e.g. to send it a signal.
    /// </summary>
    public static async Task<Result> RunOnTerminalAsync(IReadOnlyList<string> args, int columns, int rows = 24,
        Func<Process, Func<string>, Task>? whileRunning = null, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        using var pty = PseudoTerminal.Open(columns, rows);
        // The shell hands the terminal to the executable as its standard streams, then becomes it (exec).
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" <\"$MAPLE_TEST_TTY\" >\"$MAPLE_TEST_TTY\" 2>\"$MAPLE_TEST_TTY\"");
        start.ArgumentList.Add(Executable);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        Configure(start, environment);
        start.Environment["MAPLE_TEST_TTY"] = pty.SlaveName;
        start.Environment["TERM"] = "xterm-256color";

        using var process = Process.Start(start)!;
        var received = new StringBuilder();
        var reader = Task.Run(() => pty.ReadAll(text => { lock (received) received.Append(text); }));
        string SoFar()
        {
            lock (received)
                return received.ToString();
        }
        if (whileRunning is not null)
            await whileRunning(process, SoFar);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        pty.CloseSlave(); // the reader ends once the child's side is closed too and everything is read
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        return new Result(process.ExitCode, SoFar(), "");
    }

    /// <summary>Sends SIGINT (what Ctrl+C sends) to <paramref name="process"/>.</summary>
    public static void Interrupt(Process process)
    {
        const int sigint = 2;
        if (Kill(process.Id, sigint) != 0)
            throw new InvalidOperationException($"kill({process.Id}, SIGINT) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits until <paramref name="output"/> contains <paramref name="text"/> (or the process ends).</summary>
    public static async Task WaitForAsync(Process process, Func<string> output, string text)
    {
        var clock = Stopwatch.StartNew();
        while (!output().Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"maple exited before printing '{text}'; it printed:\n{output()}");
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
                throw new TimeoutException($"maple did not print '{text}'; it printed:\n{output()}");
            await Task.Delay(50);
        }
    }

    static ProcessStartInfo StartInfo(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? environment, string? workingDirectory)
    {
        var start = new ProcessStartInfo(Executable) { UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        Configure(start, environment);
        return start;
    }

    static void Configure(ProcessStartInfo start, IReadOnlyDictionary<string, string?>? environment)
    {
        // A run must not depend on the terminal the tests were started from, nor write into the user's cache.
        start.Environment.Remove("COLUMNS");
        start.Environment.Remove("LINES");
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["HF_HUB_OFFLINE"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
    }

    /// <summary>A pseudo-terminal pair: the tests read the master side, the child writes to the slave side.</summary>
    sealed class PseudoTerminal : IDisposable
    {
        readonly SafeFileHandle _master;
        SafeFileHandle? _slave;

        PseudoTerminal(SafeFileHandle master, SafeFileHandle slave, string slaveName) => (_master, _slave, SlaveName) = (master, slave, slaveName);

        public string SlaveName { get; }

        public static PseudoTerminal Open(int columns, int rows)
        {
            const int readWrite = 2, noControllingTerminal = 0x100;
            var master = PosixOpenPt(readWrite | noControllingTerminal);
            if (master < 0 || GrantPt(master) != 0 || UnlockPt(master) != 0)
                throw new InvalidOperationException($"no pseudo-terminal: errno {Marshal.GetLastPInvokeError()}");
            var name = Marshal.PtrToStringAnsi(PtsName(master))!;
            var size = new WindowSize { Rows = (ushort)rows, Columns = (ushort)columns };
            const ulong setWindowSize = 0x5414; // TIOCSWINSZ
            if (SetWindowSize(master, setWindowSize, ref size) != 0)
                throw new InvalidOperationException($"TIOCSWINSZ failed: errno {Marshal.GetLastPInvokeError()}");
            // Held open here so that the master can be read before the child opens its side and after it closes it.
            var slave = File.OpenHandle(name, FileMode.Open, FileAccess.ReadWrite);
            return new PseudoTerminal(new SafeFileHandle(master, ownsHandle: true), slave, name);
        }

        /// <summary>Reads until every holder of the slave side has closed it (EIO), passing the text on.</summary>
        public void ReadAll(Action<string> received)
        {
            var decoder = Encoding.UTF8.GetDecoder();
            var bytes = new byte[4096];
            var chars = new char[4096 + 4];
            using var stream = new FileStream(_master, FileAccess.Read, bufferSize: 0);
            while (true)
            {
                int n;
                try
                {
                    n = stream.Read(bytes, 0, bytes.Length);
                }
                catch (IOException)
                {
                    return;
                }
                if (n <= 0)
                    return;
                var count = decoder.GetChars(bytes, 0, n, chars, 0);
                received(new string(chars, 0, count));
            }
        }

        public void CloseSlave()
        {
            _slave?.Dispose();
            _slave = null;
        }

        public void Dispose()
        {
            CloseSlave();
            _master.Dispose();
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenPt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname", SetLastError = true)]
    private static partial IntPtr PtsName(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int SetWindowSize(int fd, ulong request, ref WindowSize size);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
