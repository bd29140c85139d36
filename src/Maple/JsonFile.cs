using System.Text.Json;

namespace Maple;

/// <summary>Reads the JSON files Maple consumes, turning a parse error into one that names the file.</summary>
public static class JsonFile
{
    /// <summary>Parses <paramref name="path"/>; <paramref name="remedy"/>, when given, is appended to the error.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="UserInputException">The path names a FIFO, device or folder.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON (or nested deeper than 64 levels).</exception>
    public static JsonDocument Parse(string path, string? remedy = null)
    {
        InputFile.EnsureRegular(path, "JSON file");
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {ex.Message}" + (remedy is null ? "" : $"; {remedy}"), ex);
        }
    }
}
