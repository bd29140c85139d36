using System.Text.Json;
using SkiaSharp;

namespace Maple.Tests.Datasets;

/// <summary>A temporary data root that tests fill with tiny images, text lists and split files.</summary>
sealed class MiniRoot : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("maple-datasets-").FullName;

    public string this[string relative] => Path.Combine(Root, relative);

    /// <summary>
    /// Writes an 8x8 image (JPEG for .jpg/.jpeg, else PNG) whose colour depends on <paramref name="shade"/>, with one
    /// pixel that depends on the path, so that no two images hold the same bytes unless a test copies one.
    /// </summary>
    public string Image(string relative, byte shade = 128, int width = 8, int height = 8)
    {
        var path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(shade, (byte)(255 - shade), 64));
        var mark = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(relative));
        bitmap.SetPixel(0, 0, new SKColor(mark[0], mark[1], mark[2]));
        using var image = SKImage.FromBitmap(bitmap);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        using var data = image.Encode(ext is ".jpg" or ".jpeg" ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 90);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>Writes <paramref name="count"/> images named <c>{prefix}{i}{ext}</c> (i from 1) in <paramref name="folder"/>.</summary>
    public List<string> Images(string folder, int count, string prefix = "img_", string ext = ".jpg")
    {
        var names = new List<string>();
        for (var i = 1; i <= count; i++)
        {
            var relative = $"{folder}/{prefix}{i}{ext}";
            Image(relative, (byte)(i * 37));
            names.Add(relative);
        }
        return names;
    }

    public string Text(string relative, params string[] lines)
    {
        var path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    public string Bytes(string relative, byte[] bytes)
    {
        var path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes a CoOp split file: each split a list of [relpath, label, classname].</summary>
    public string SplitFile(string relative, Dictionary<string, List<(string Path, int Label, string Name)>> splits)
    {
        var json = splits.ToDictionary(s => s.Key, s => s.Value.Select(e => new object[] { e.Path, e.Label, e.Name }).ToList());
        var path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(json));
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
