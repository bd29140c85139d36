using Maple.Data;
using Maple.Tests.Datasets;
using Maple.Tests.Training;

namespace Maple.Tests.Cli;

/// <summary>What the built <c>maple</c> says about the user's data files: class-name files and <c>data inspect</c>.</summary>
public sealed class DataFilesCliTests : IDisposable
{
    readonly MiniRoot _root = new();
    readonly TempFolder _temp = new();

    public void Dispose()
    {
        _root.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task ClassNameFilesAreStrict()
    {
        var data = PhotoFolder.Create(_temp["data"]);
        async Task<string> Refusal(params string[] lines)
        {
            var names = _root.Text($"names-{Guid.NewGuid():N}.txt", lines);
            var result = await MapleProcess.RunPipedAsync(["train", "--model", Fixtures.TinyMapleModel, "--method", "coop", "--data", data, "--classes", names, "--output", _temp["run"]]);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal("", result.Output);
            var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            return line.Replace(names, "NAMES", StringComparison.Ordinal);
        }

        Assert.Equal("error: NAMES: line 2 is blank; write one class name per line (the first line names label 0), with no blank lines",
            await Refusal("astronaut", "", "coffee cup", "tabby cat"));
        Assert.Equal($"error: NAMES: 4 class names, but {data} has 3 classes; give one name per class, the first line naming label 0",
            await Refusal("astronaut", "coffee cup", "tabby cat", "dog"));
        Assert.Equal($"error: NAMES: 2 class names, but {data} has 3 classes; give one name per class, the first line naming label 0",
            await Refusal("astronaut", "coffee cup"));
        Assert.Equal("error: NAMES: line 3 repeats the class name 'Astronaut' of line 1; each class needs its own name",
            await Refusal("astronaut", "coffee cup", "Astronaut"));
        Assert.False(Directory.Exists(_temp["run"]));
    }

    [Fact]
    public void AClassNameFileReadsOneTrimmedNamePerLine()
    {
        var names = _root.Text("names.txt", " red circle ", "blue star", "", " ");
        Assert.Equal(["red circle", "blue star"], ClassNameFile.Read(names)); // blank lines that end the file shift no label
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => ClassNameFile.Read(_root.Text("blank.txt", "", ""))).Message);
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => ClassNameFile.Read(_root.Bytes("empty.txt", []))).Message);
    }

    [Fact]
    public async Task InspectListsEmptyClassesAndCopiesAndExitsTwo()
    {
        var cats = _root.Images("folder/cat", 2, ext: ".png");
        Directory.CreateDirectory(_root["folder/dog"]);
        _root.Images("folder/fox", 2, ext: ".png");
        var copy = _root.Bytes("folder/fox/copy.png", File.ReadAllBytes(_root[cats[0]]));

        var result = await MapleProcess.RunPipedAsync(["data", "inspect", _root["folder"]]);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Error);
        var lines = result.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains("3 classes: cat, dog, fox", lines);
        Assert.Contains("2 problem(s) (every image's header read):", lines);
        Assert.Contains("  empty classes (1):", lines);
        Assert.Contains("    class 1 'dog' has no images in all", lines);
        Assert.Contains("  files with the same bytes (SHA-256) (1):", lines);
        Assert.Contains($"    same bytes: {_root[cats[0]]} (class 'cat', all), {copy} (class 'fox', all)", lines);
    }

    [Fact]
    public async Task PipedOutputIsNotWrappedUnlessColumnsSaysSo()
    {
        for (var i = 0; i < 12; i++)
            _root.Images($"folder/a_class_with_a_long_name_{i:D2}", 1, ext: ".png");

        var whole = await MapleProcess.RunPipedAsync(["data", "inspect", _root["folder"]]);
        var narrow = await MapleProcess.RunPipedAsync(["data", "inspect", _root["folder"]], new Dictionary<string, string?> { ["COLUMNS"] = "60" });

        Assert.Equal(0, whole.ExitCode);
        var classList = Assert.Single(whole.Output.Split('\n'), l => l.StartsWith("12 classes: ", StringComparison.Ordinal));
        Assert.EndsWith(", a class with a long name 11", classList);
        Assert.True(classList.Length > 300);
        Assert.Equal(0, narrow.ExitCode);
        Assert.All(narrow.Output.Split('\n'), l => Assert.True(l.Length <= 60, $"{l.Length} columns: {l}"));
        Assert.Contains("a class with a long name 11", narrow.Output);
    }
}
