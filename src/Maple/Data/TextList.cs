namespace Maple.Data;

/// <summary>Reads a list kept as a text file: one entry per line, trimmed, blank lines skipped.</summary>
public static class TextList
{
    /// <summary>Reads the entries of <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What the file holds, for error messages ("text list", "template file").</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="UserInputException">The path names a FIFO, device or folder.</exception>
    /// <exception cref="InvalidDataException">It holds no entry.</exception>
    public static IReadOnlyList<string> Read(string path, string what = "text list")
    {
        ArgumentNullException.ThrowIfNull(path);
        InputFile.EnsureRegular(path, what);
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0)
            throw new InvalidDataException($"{path}: the {what} is empty");
        return lines;
    }
}
