namespace Maple.Data;

/// <summary>
/// A class-name file: line i names class i, one name per line. Strict, because a dropped or extra line shifts every
/// label after it without a visible error: blank lines and repeated names are refused (naming the line), and
/// <see cref="ImageDataset.WithClassNames"/> refuses a count that differs from the data's classes.
/// </summary>
public static class ClassNameFile
{
    /// <summary>Reads the names in <paramref name="path"/>, each trimmed of surrounding spaces.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="UserInputException">The path names a FIFO, device or folder.</exception>
    /// <exception cref="InvalidDataException">It holds no name, a blank line, or a name twice.</exception>
    public static IReadOnlyList<string> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        InputFile.EnsureRegular(path, "class-name file");
        // Blank lines at the end shift no label (editors often leave one): only those are let go.
        var lines = File.ReadAllLines(path).Reverse().SkipWhile(string.IsNullOrWhiteSpace).Reverse().ToArray();
        if (lines.Length == 0)
            throw new InvalidDataException($"{path}: the class-name file is empty; write one class name per line");
        // CLIP's tokenizer lowercases, so names that differ only in case would give the same prompt.
        var firstLine = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>(lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            var name = lines[i].Trim();
            if (name.Length == 0)
                throw new InvalidDataException($"{path}: line {i + 1} is blank; write one class name per line (the first line names label 0), with no blank lines");
            if (!firstLine.TryAdd(name, i + 1))
                throw new InvalidDataException($"{path}: line {i + 1} repeats the class name '{name}' of line {firstLine[name]}; each class needs its own name");
            names.Add(name);
        }
        return names;
    }
}
