using System.Globalization;
using Spectre.Console;

namespace Maple.Cli;

/// <summary>How the commands word what they print: counts, the paths they wrote, the width of redirected output.</summary>
static class OutputText
{
    /// <summary>"1 epoch", "2 epochs"; <paramref name="plural"/> for nouns that do not just take an s ("classes").</summary>
    public static string Count(long n, string noun, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{n} {(n == 1 ? noun : plural ?? noun + "s")}");

    /// <summary>
    /// A path as the commands show it: relative to the current folder when it is inside it, else absolute, whatever
    /// form it was given in.
    /// </summary>
    public static string DisplayPath(string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
        var outside = relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative);
        return outside ? full : relative;
    }

    /// <summary>Prints "wrote PATH" for each path, in the form of <see cref="DisplayPath"/>.</summary>
    public static void Wrote(params IEnumerable<string> paths)
    {
        foreach (var path in paths)
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(DisplayPath(path))}[/]");
    }

    /// <summary>The widest line Spectre lays out when output is redirected and COLUMNS does not say otherwise.</summary>
    const int UnwrappedWidth = 4096;

    /// <summary>
    /// Sets the width Spectre lays output out to when standard output is not a terminal: COLUMNS when it holds a
    /// positive number, else wide enough that no line is wrapped (a log keeps each line whole). A terminal's own
    /// width is used as it is.
    /// </summary>
    public static void ConfigureRedirectedWidth()
    {
        if (!Console.IsOutputRedirected)
            return;
        AnsiConsole.Profile.Width = RedirectedWidth(Environment.GetEnvironmentVariable("COLUMNS"));
    }

    /// <summary>The width for redirected output given COLUMNS' value.</summary>
    internal static int RedirectedWidth(string? columns) =>
        int.TryParse(columns, NumberStyles.None, CultureInfo.InvariantCulture, out var width) && width > 0 ? width : UnwrappedWidth;
}
