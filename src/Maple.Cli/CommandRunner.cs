using System.CommandLine;
using Maple.Clip.Hub;
using Maple.Imaging;
using Spectre.Console;

namespace Maple.Cli;

/// <summary>Runs the command line and turns the library's errors into one clear line and an exit code.</summary>
static class CommandRunner
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    /// <param name="root">The commands.</param>
    /// <param name="args">The command line.</param>
    /// <param name="error">Where errors go (the console's error stream when null).</param>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        // System.CommandLine's own handler would print the stack trace of every error and swallow it before ours.
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error };
        try
        {
            return await root.Parse(args).InvokeAsync(configuration);
        }
        catch (Exception ex) when (IsUserError(ex))
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception ex)
        {
            // A bug rather than bad input: the whole trace helps the report.
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            error.WriteLine($"internal error: {ex}");
            return 70;
        }
    }

    /// <summary>Errors caused by the input (files, options, data), reported without a stack trace.</summary>
    static bool IsUserError(Exception ex) => ex is UserInputException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
        or ArgumentException or HubException or ImageDecodeException or InvalidOperationException or UnauthorizedAccessException or IOException;
}
