using System.CommandLine;
using Maple.Clip.Hub;
using Maple.Imaging;
using Spectre.Console;

namespace Maple.Cli;

/// <summary>Runs the command line and turns the library's errors into one clear line and an exit code.</summary>
static class CommandRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            // Without this, System.CommandLine catches every exception itself and prints a stack trace.
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (IsUserError(ex))
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    /// <summary>Errors caused by the input (files, options, data), reported without a stack trace.</summary>
    static bool IsUserError(Exception ex) => ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException
        or ArgumentException or HubException or ImageDecodeException or InvalidOperationException or UnauthorizedAccessException or IOException;
}
