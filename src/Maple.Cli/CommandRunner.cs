using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using Maple.Clip.Checkpoints;
using Maple.Clip.Hub;
using Maple.Imaging;
using Maple.Tokenization;
using Spectre.Console;

namespace Maple.Cli;

/// <summary>
/// Runs the command line and turns every error into one line and an exit code: 1 for the user's errors
/// (bad options, files, data; the message says what and how to fix it), 70 for Maple's own (a bug: the
/// trace goes to a crash log whose path is printed), 130 when cancelled. Commands return 2 themselves
/// when they ran and found problems (<c>data inspect</c>).
/// </summary>
static partial class CommandRunner
{
    /// <summary>The exit code of an error in Maple itself (sysexits' EX_SOFTWARE).</summary>
    public const int InternalErrorCode = 70;

    /// <summary>The exit code of a run stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int CancelledCode = 130;

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    /// <param name="root">The commands.</param>
    /// <param name="args">The command line.</param>
    /// <param name="error">Where errors go (the console's error stream when null).</param>
    /// <param name="crashFolder">Where crash logs go (Maple's cache folder when null).</param>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter? error = null, string? crashFolder = null)
    {
        error ??= Console.Error;
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpText)
        {
            var command = parse.CommandResult.Command;
            error.WriteLine($"error: {Describe(parse.Errors[0], command)}");
            error.WriteLine($"usage: {HelpText.Usage(command)}; see '{HelpText.CommandPath(command)} --help'");
            return 1;
        }
        foreach (var note in DeprecatedSpellings.Notes(parse))
            error.WriteLine(note);

        // System.CommandLine's own handler would print the stack trace of every error and swallow it before ours. Its
        // signal handling is off: it is installed only once a command's first await returns, so a command that runs
        // synchronously (training on a local model) was killed by Ctrl+C before it could say how to resume.
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error, ProcessTerminationTimeout = null };
        using var signals = new InterruptSignals();
        try
        {
            return await parse.InvokeAsync(configuration, signals.Token);
        }
        catch (Exception ex) when (Unwrap(ex) is OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return CancelledCode;
        }
        catch (Exception ex) when (IsUserError(Unwrap(ex)))
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            error.WriteLine($"error: {UserMessage(Unwrap(ex))}");
            return 1;
        }
        catch (Exception ex)
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            var inner = Unwrap(ex);
            // The first line only: libtorch's messages go on with its native stack frames, which belong in the log.
            var summary = $"internal error (a bug in Maple, not in your input): {inner.GetType().Name}: {FirstLine(inner.Message)}";
            if (WriteCrashLog(crashFolder ?? MapleInfo.CacheRoot, args, ex) is { } log)
            {
                error.WriteLine($"{summary}; the details are in {log}");
            }
            else
            {
                error.WriteLine(summary);
                error.WriteLine(ex);
            }
            return InternalErrorCode;
        }
    }

    /// <summary>
    /// Errors caused by the input (files, options, data), reported as one line: the library's
    /// <see cref="UserInputException"/> and the specific file errors. Anything else is Maple's fault.
    /// </summary>
    internal static bool IsUserError(Exception ex) => ex is UserInputException
        or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or InvalidDataException
        or ImageDecodeException or UnsafePickleException or HubException or PromptTooLongException;

    /// <summary>A user error's message on one line, with the flag that lifts a library limit it names.</summary>
    static string UserMessage(Exception ex) => ex is ImageDecodeException { OverPixelLimit: true }
        ? $"{OneLine(ex.Message)} (--max-image-pixels N)"
        : OneLine(ex.Message);

    /// <summary>The one exception inside task wrappers.</summary>
    static Exception Unwrap(Exception ex) =>
        ex is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrap(aggregate.InnerExceptions[0]) : ex;

    static string FirstLine(string message) =>
        message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";

    static string OneLine(string message) => string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));

    /// <summary>Writes the trace to a new file in <paramref name="folder"/>; returns its path, or null when it cannot be written.</summary>
    static string? WriteCrashLog(string folder, string[] args, Exception ex)
    {
        try
        {
            var now = DateTime.UtcNow;
            var path = Path.Combine(folder,
                string.Create(CultureInfo.InvariantCulture, $"crash-{now:yyyyMMdd-HHmmss}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}.log"));
            AtomicFile.WriteText(path, string.Create(CultureInfo.InvariantCulture,
                $"maple {MapleInfo.Version}, {now:O}\nmaple {string.Join(" ", args)}\n\n{ex}\n"));
            return path;
        }
        catch (Exception writeError) when (writeError is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A parse error in words a user reads, without .NET type names.</summary>
    static string Describe(ParseError parseError, Command command)
    {
        var message = parseError.Message;
        if (CannotParse().Match(message) is { Success: true } m)
            return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {Expected(m.Groups["type"].Value)}";
        if (MissingArgument().IsMatch(message))
            return $"missing {string.Join(" ", command.Arguments.Select(a => $"<{a.Name}>"))}";
        if (RequiredOption().Match(message) is { Success: true } required)
            return $"{required.Groups["option"].Value} is required";
        if (MissingValue().Match(message) is { Success: true } value)
            return $"{value.Groups["option"].Value} needs a value";
        if (Unrecognized().Match(message) is { Success: true } unknown)
            return UnknownToken(unknown.Groups["token"].Value);
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            return $"missing the command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        return TypeName().Replace(message, t => Expected(t.Value));
    }

    static string Expected(string typeName) => typeName switch
    {
        _ when typeName.Contains("Int32", StringComparison.Ordinal) || typeName.Contains("Int64", StringComparison.Ordinal) => "a whole number",
        _ when typeName.Contains("Double", StringComparison.Ordinal) || typeName.Contains("Single", StringComparison.Ordinal) => "a number",
        _ when typeName.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "a valid value",
    };

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (option|command|argument) '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.?$")]
    private static partial Regex CannotParse();

    /// <summary>"unknown option --x" for a token that looks like one, else "unexpected argument".</summary>
    internal static string UnknownToken(string token) =>
        token.StartsWith('-') ? $"unknown option {token}" : $"unexpected argument '{token}'";

    [GeneratedRegex(@"^Required argument missing for option: '(?<option>[^']*)'\.?$")]
    private static partial Regex MissingValue();

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>.*)'\.?$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^Required argument missing for command: '[^']*'\.?$")]
    private static partial Regex MissingArgument();

    [GeneratedRegex(@"^Option '(?<option>[^']*)' is required\.?$")]
    private static partial Regex RequiredOption();

    [GeneratedRegex(@"System\.[A-Za-z0-9_.`\[\], ]+")]
    private static partial Regex TypeName();
}
