namespace Maple.Data;

/// <summary>Turns the image arguments of a command (files and folders) into a list of image files.</summary>
public static class ImageFiles
{
    /// <summary>
    /// Each input in order: a file as it is (whatever its extension), a folder as every image inside it and its
    /// sub-folders (by <see cref="ImageFolder.ImageExtensions"/>, hidden entries skipped), sorted ordinally.
    /// </summary>
    /// <param name="inputs">Files and folders.</param>
    /// <returns>The image paths: a folder's images are the folder's path joined with their relative path.</returns>
    /// <exception cref="FileNotFoundException">An input is neither a file nor a folder.</exception>
    /// <exception cref="InvalidDataException">A folder holds no image.</exception>
    public static IReadOnlyList<string> Expand(IEnumerable<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var paths = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var images = ImageFolder.FindImages(input).Where(f => !IsHidden(input, f)).ToList();
                if (images.Count == 0)
                    throw new InvalidDataException($"{input}: the folder holds no images ({string.Join(", ", ImageFolder.ImageExtensions)})");
                paths.AddRange(images);
            }
            else if (File.Exists(input))
            {
                paths.Add(input);
            }
            else
            {
                throw new FileNotFoundException($"{input}: no such image file or folder", input);
            }
        }
        return paths;
    }

    // Hidden files (macOS "._x.jpg" forks, ".thumbnails") are not the user's images.
    static bool IsHidden(string root, string file) =>
        Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Any(s => s.StartsWith('.'));
}
