using Maple.Data;

namespace Maple.Tests.ZeroShot;

public sealed class ImageFilesTests : IDisposable
{
    readonly TempFolder _temp = new();

    [Fact]
    public void FoldersGiveTheirImagesSortedAndFilesStayAsGiven()
    {
        _temp.CopyImages("set", "coffee.png", "chelsea.png");
        _temp.CopyImages(Path.Combine("set", "sub"), "astronaut.png");
        _temp.CopyImages(Path.Combine("set", ".hidden"), "camera.png");
        _temp.Write(Path.Combine("set", "notes.txt"), "not an image");
        _temp.Write(Path.Combine("set", "._coffee.png"), "macOS fork");
        var single = _temp.CopyImages("single", "rocket.jpg")[0];
        var set = _temp.Combine("set");

        var paths = ImageFiles.Expand([single, set]);

        Assert.Equal(
            [single, Path.Combine(set, "chelsea.png"), Path.Combine(set, "coffee.png"), Path.Combine(set, "sub", "astronaut.png")],
            paths);
    }

    [Fact]
    public void MissingPathsAndEmptyFoldersAreNamed()
    {
        var missing = _temp.Combine("missing.png");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ImageFiles.Expand([missing])).Message);
        var empty = Directory.CreateDirectory(_temp.Combine("empty")).FullName;
        Assert.Contains(empty, Assert.Throws<InvalidDataException>(() => ImageFiles.Expand([empty])).Message);
    }

    public void Dispose() => _temp.Dispose();
}
