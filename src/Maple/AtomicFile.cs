using System.Globalization;
using System.Text.RegularExpressions;

namespace Maple;

/// <summary>
/// Writes files so that a reader never sees a partial one and an interrupted write never damages
/// what was there: the content goes to a temp file in the same folder, is flushed to disk, then
/// renamed over the target.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}{TempSuffix}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes text to <paramref name="path"/> atomically.</summary>
    public static void WriteText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>
    /// Deletes the temp files that writers in other processes left in <paramref name="folder"/> (not its
    /// sub-folders) when they were killed mid-write; returns their paths. Call it only while holding the
    /// folder (e.g. under a run lock), so that no other process is writing there.
    /// </summary>
    public static IReadOnlyList<string> DeleteStaleTemps(string folder)
    {
        if (!Directory.Exists(folder))
            return [];
        var deleted = new List<string>();
        foreach (var path in Directory.EnumerateFiles(folder, "*" + TempSuffix))
        {
            var match = TempName().Match(Path.GetFileName(path));
            if (!match.Success || long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) == Environment.ProcessId)
                continue;
            File.Delete(path);
            deleted.Add(path);
        }
        return deleted;
    }

    const string TempSuffix = ".tmp";

    [GeneratedRegex(@"^.+\.(\d{1,10})\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TempName();
}
