using Maple.Data;

namespace Maple.Tests.Security;

/// <summary>Split files whose labels would allocate classes from nothing, or are not class indices, are refused.</summary>
public sealed class HostileSplitTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("maple-hostile-splits-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Write(string json)
    {
        var path = Path.Combine(_root, "split.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void AHugeLabelIsRefusedBeforeAnyClassIsMade()
    {
        var path = Write("""{"train": [["a.jpg", 0, "cat"], ["b.jpg", 50000000, "dog"]], "val": [], "test": []}""");
        Assert.InRange(new FileInfo(path).Length, 1, 300);
        InvalidDataException? error = null;
        var growth = MemoryGrowth.Of(() => error = Assert.Throws<InvalidDataException>(() => SplitFile.Load(path, _root, "train")));
        Assert.Equal($"{path}: train[1] has label 50000000, but the file names only 2 classes and no entry has label 1; labels must number the classes 0..1",
            error!.Message);
        Assert.True(growth.ManagedBytes < 1 << 20, $"{growth.ManagedBytes} bytes allocated");
    }

    [Theory]
    [InlineData("""{"train": "nope", "val": [], "test": []}""", "split 'train' is a string, not a list of [relpath, label, classname]")]
    [InlineData("""{"train": {"a.jpg": 0}}""", "split 'train' is an object, not a list of [relpath, label, classname]")]
    [InlineData("""{"val": [], "test": [], "note": "x"}""", "no split 'train' (available: val, test)")]
    [InlineData("""[["a.jpg", 0, "cat"]]""", "no split 'train' (available: none)")]
    public void ASplitThatIsNotAListSaysSo(string json, string problem)
    {
        var path = Write(json);
        var error = Assert.Throws<InvalidDataException>(() => SplitFile.Load(path, _root, "train"));
        Assert.Equal($"{path}: {problem}", error.Message);
    }

    [Theory]
    [InlineData("1e10", "1e10")]
    [InlineData("1.5", "1.5")]
    [InlineData("-1", "-1")]
    [InlineData("2147483648", "2147483648")]
    [InlineData("1.0", "1.0")]
    public void ALabelMustBeAWholeNumberFromZero(string label, string shown)
    {
        var path = Write($$"""{"train": [["a.jpg", 0, "cat"], ["b.jpg", {{label}}, "dog"]]}""");
        var e = Assert.Throws<InvalidDataException>(() => SplitFile.Load(path, _root, "train"));
        Assert.Equal($"{path}: train[1] has label {shown}; a label is a class index, a whole number from 0", e.Message);
    }

    [Fact]
    public void ALabelSeenOnlyInAnotherSplitStillNamesItsClass()
    {
        var path = Write("""{"train": [["a.jpg", 0, "cat"]], "test": [["b.jpg", 1, "dog"]]}""");
        var train = SplitFile.Load(path, _root, "train");
        Assert.Equal(["cat", "dog"], train.ClassNames);
        Assert.Equal(0, Assert.Single(train.Items).Label);
    }

    [Fact]
    public void DeepNestingIsAParseError()
    {
        var path = Write("{\"train\": " + new string('[', 5000) + new string(']', 5000) + "}");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => SplitFile.Load(path, _root, "train")).Message);
    }

    [Fact]
    public void ANulInAPathIsRefused()
    {
        var path = Write("""{"train": [["a\u0000b.jpg", 0, "cat"]]}""");
        Assert.Contains("NUL character", Assert.Throws<InvalidDataException>(() => SplitFile.Load(path, _root, "train")).Message);
    }

    [Fact]
    public void ASplitFileThatIsADeviceIsRefusedUnread()
    {
        var link = Path.Combine(_root, "zero.json");
        File.CreateSymbolicLink(link, "/dev/zero");
        var e = Assert.Throws<UserInputException>(() => SplitFile.Load(link, _root, "train"));
        Assert.Equal($"{link}: the JSON file is a character device; Maple reads only regular files, give the path of one", e.Message);
        Assert.Throws<UserInputException>(() => DatasetSource.ReadClassNames(link));
    }
}
