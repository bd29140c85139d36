namespace Maple.Tests.ZeroShot;

/// <summary>A temporary folder, deleted with everything in it on dispose.</summary>
sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("maple-zeroshot-").FullName;

    /// <summary>Copies fixture images into <paramref name="subfolder"/> and returns their new paths.</summary>
    public IReadOnlyList<string> CopyImages(string subfolder, params string[] names)
    {
        var folder = Directory.CreateDirectory(Combine(subfolder)).FullName;
        return names.Select(n =>
        {
            var target = System.IO.Path.Combine(folder, n);
            File.Copy(System.IO.Path.Combine(Fixtures.Preprocess, "images", n), target);
            return target;
        }).ToList();
    }

    public string Write(string name, string text)
    {
        var path = Combine(name);
        File.WriteAllText(path, text);
        return path;
    }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: the OS cleans its temp folder
        }
    }
}
